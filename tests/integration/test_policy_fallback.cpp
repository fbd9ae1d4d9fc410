// Standard Redfish first, but not for ever: a standard setting the BMC will
// not write (Supermicro's SerialConsole marked read-only, a PATCH answered
// 405) falls back to IPMI when it is configured, else the item is
// `unsupported (read-only here)`. And If-Match comes from the body's
// @odata.etag when the BMC sends no ETag header. Against bmcsim (and
// ipmi_sim for the fallback), with the real engine, provider and clients.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "bmc/bmc.hpp"
#include "metrics/metrics.hpp"
#include "policy/engine.hpp"
#include "policy/provider.hpp"
#include "support/bmcsim.hpp"
#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"
#include "support/redfish_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string kSystem = "/redfish/v1/Systems/1";

// The policy over one BMC owner, SOL enforced, everything else off.
struct PolicyRig {
  RedfishRig rig;
  Metrics metrics;
  std::shared_ptr<bmc::Bmc> owner;
  std::shared_ptr<policy::Engine> engine;

  PolicyRig(const BmcSim& sim, std::optional<ipmi::ClientConfig> ipmi = std::nullopt,
            policy::Mode mode = policy::Mode::enforce) {
    owner = bmc::Bmc::create(rig.io, nullptr, {.redfish = rig.options(sim), .ipmi = ipmi});
    owner->borrow();
    policy::PolicySettings s;
    s.modes.fill(policy::Mode::off);
    s.set_mode(policy::ItemId::sol, mode);
    engine = std::make_shared<policy::Engine>(metrics,
                                              policy::Engine::Options{s, rig.dir.path(), nullptr},
                                              policy::make_bmc_provider(owner, {rig.dir.path()}));
  }
  ~PolicyRig() { engine->detach(); }

  policy::ItemStatus pass() {
    bool done = false;
    engine->reconcile([&] { done = true; });
    rig.run_until([&] { return done; });
    return engine->status().items[std::size_t(policy::ItemId::sol)];
  }
  std::optional<double> state(const std::string& name) {
    return sample_value(metrics.serialize(),
                        "bmcquiet_policy_item_state{setting=\"sol\",state=\"" + name + "\"}");
  }
};

void edit_system(const BmcSim& sim, const std::function<void(json::object&)>& edit) {
  auto body = json::parse(sim.resource(kSystem)).as_object();
  edit(body);
  sim.control("POST", "/resource?path=" + kSystem, json::serialize(body));
}

json::object& ipmi_console(json::object& system) {
  return system["SerialConsole"].as_object()["IPMI"].as_object();
}

void mark_sol_read_only(const BmcSim& sim, const std::string& annotation) {
  edit_system(sim, [&](json::object& s) {
    ipmi_console(s)[annotation] = annotation[0] == '@' ? json::array{"Port"} : json::array{true};
  });
}

bool redfish_sol_enabled(const BmcSim& sim) {
  auto body = json::parse(sim.resource(kSystem)).as_object();
  return ipmi_console(body).at("ServiceEnabled").as_bool();
}

json::array patches_to_system(const BmcSim& sim) {
  json::array out;
  const auto writes = json::parse(sim.control("GET", "/writes"));
  for (const auto& w : writes.as_array())
    if (w.at("method") == "PATCH" && w.at("path") == json::string_view(kSystem)) out.push_back(w);
  return out;
}

// ipmi_sim on an ephemeral port; null (the test skips, saying why) when absent.
std::unique_ptr<IpmiSim> started_ipmi_sim() {
  if (auto why = IpmiSim::unavailable(); !why.empty()) {
    WARN("SKIPPED: " << why);
    return nullptr;
  }
  auto sim = std::make_unique<IpmiSim>(0);
  REQUIRE(sim->start());
  return sim;
}

bool ipmi_sol_enabled(const IpmiSim& sim) {
  auto out = run_command(sim.ipmitool("sol info")).output;
  auto line = out.find("Enabled");
  return line != std::string::npos && out.find("true", line) < out.find('\n', line);
}

}  // namespace

TEST_CASE("If-Match comes from @odata.etag when the BMC sends no ETag header",
          "[policy][e2e][fallback]") {
  BmcSim sim({fixture_dir("redfish/supermicro")});
  sim.control("POST", "/etag_header", R"({"on":false})");
  // The real Supermicro capture names its ETag in the body of Systems/1.
  edit_system(sim, [](json::object& s) { s["@odata.etag"] = "\"a0a7128477b3552049bdbf0d\""; });
  REQUIRE(redfish_sol_enabled(sim));
  PolicyRig p(sim);
  auto sol = p.pass();
  INFO(sol.detail);
  CHECK(sol.state == policy::ItemState::compliant);
  CHECK_FALSE(redfish_sol_enabled(sim));
  auto patches = patches_to_system(sim);
  REQUIRE(patches.size() == 1);
  // bmcsim answers 412 to an If-Match that is not the resource's current ETag.
  CHECK(patches[0].at("status") == 200);
  const auto if_match = std::string(patches[0].at("if_match").as_string());
  CHECK(if_match.rfind("W/\"", 0) == 0);
}

TEST_CASE("a standard setting marked read-only is unsupported (read-only here), never PATCHed",
          "[policy][e2e][fallback]") {
  BmcSim sim({fixture_dir("redfish/supermicro")});
  // Either way a service says so: the values it allows, or what it lets a
  // client write in that object.
  const std::string annotation = GENERATE(std::string("ServiceEnabled@Redfish.AllowableValues"),
                                          std::string("@Redfish.WriteableProperties"));
  mark_sol_read_only(sim, annotation);
  PolicyRig p(sim);
  auto sol = p.pass();
  // The mark is seen while reading: unsupported from the first pass, and no
  // write was tried, so no failure and no back-off.
  CHECK(sol.state == policy::ItemState::unsupported);
  CHECK(sol.reapplies == 0);
  CHECK(sol.failures == 0);
  CHECK_FALSE(sol.backing_off);
  sol = p.pass();  // the refusal is final: not retried, no back-off churn
  INFO(sol.detail);
  CHECK(sol.failures == 0);
  CHECK(sample_value(p.metrics.serialize(),
                     "bmcquiet_policy_reapply_failures_total{setting=\"sol\"}") == 0.0);
  CHECK(sol.state == policy::ItemState::unsupported);
  CHECK(sol.detail.find("unsupported (read-only here)") != std::string::npos);
  CHECK(sol.detail.find(annotation) != std::string::npos);
  CHECK(sol.detail.find(kSystem) != std::string::npos);
  CHECK(patches_to_system(sim).empty());
  CHECK(redfish_sol_enabled(sim));
  CHECK(p.state("unsupported") == 1.0);
  CHECK_FALSE(sample_value(p.metrics.serialize(), "bmcquiet_policy_compliant{setting=\"sol\"}"));
}

TEST_CASE("a standard write refused with 405 falls back to IPMI SOL, read back over IPMI",
          "[policy][e2e][fallback][ipmi_sim]") {
  auto sim_ipmi = started_ipmi_sim();
  if (!sim_ipmi) return;
  auto& ipmi = *sim_ipmi;
  REQUIRE(ipmi_sol_enabled(ipmi));
  BmcSim sim({fixture_dir("redfish/supermicro")});
  sim.control("POST", "/fault",
              R"({"kind":"status","status":405,"method":"PATCH","path":"/Systems/1"})");
  PolicyRig p(sim, ipmi.client_config());
  auto sol = p.pass();
  INFO(sol.detail);
  CHECK(sol.state == policy::ItemState::compliant);
  CHECK(sol.transport == "ipmi");
  CHECK_FALSE(ipmi_sol_enabled(ipmi));  // ipmitool reads it back off
  CHECK(redfish_sol_enabled(sim));      // the refused property is untouched
  REQUIRE(run_command(ipmi.ipmitool("sol set enabled true")).exit_code == 0);  // drift
  sol = p.pass();
  CHECK(sol.state == policy::ItemState::compliant);
  CHECK_FALSE(ipmi_sol_enabled(ipmi));
  CHECK(sol.failures == 0);
}

TEST_CASE("a read-only standard setting is reported through the IPMI fallback from the first pass",
          "[policy][e2e][fallback][ipmi_sim]") {
  auto sim_ipmi = started_ipmi_sim();
  if (!sim_ipmi) return;
  auto& ipmi = *sim_ipmi;
  REQUIRE(run_command(ipmi.ipmitool("sol set enabled false")).exit_code == 0);
  BmcSim sim({fixture_dir("redfish/supermicro")});
  mark_sol_read_only(sim, "@Redfish.WriteableProperties");
  REQUIRE(redfish_sol_enabled(sim));  // Redfish says enabled, but cannot be written
  // Report mode writes nothing, so only the read can have switched transports:
  // what the policy would write is what it reports.
  PolicyRig p(sim, ipmi.client_config(), policy::Mode::report);
  auto sol = p.pass();
  INFO(sol.detail);
  CHECK(sol.transport == "ipmi");
  CHECK(sol.state == policy::ItemState::compliant);  // ipmitool set it off above
  CHECK(patches_to_system(sim).empty());
}
