// The inband_ipmi item (the article's first mitigation: in-band IPMI, KCS,
// off) against bmcsim fixtures carrying each vendor's documented switch:
// HPE iLO NetworkProtocol Oem.Hpe.KcsEnabled, Lenovo XCC Manager
// Oem.Lenovo.KCSEnabled (boolean or "Enabled"/"Disabled"), Supermicro
// KCSInterface Privilege. Vendors without a known switch are unsupported with
// the reason, and enforce never writes while bmcquiet itself talks in-band.
#include <fmt/format.h>
#include <sys/stat.h>
#include <boost/json.hpp>

#include <catch2/catch.hpp>
#include <filesystem>

#include "bmc/bmc.hpp"
#include "metrics/metrics.hpp"
#include "policy/engine.hpp"
#include "policy/provider.hpp"
#include "support/bmcsim.hpp"
#include "support/helpers.hpp"
#include "support/policy_rig.hpp"
#include "support/sim_resources.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using Status = policy::Observation::Status;
using policy::ItemId;

namespace {

const std::string kManager = "/redfish/v1/Managers/1";

std::vector<std::string> writes(const BmcSim& sim) {
  std::vector<std::string> out;
  const auto all = json::parse(sim.control("GET", "/writes"));
  for (const auto& w : all.as_array())
    out.push_back(std::string(w.at("method").as_string()) + " " +
                  std::string(w.at("path").as_string()));
  return out;
}

// An iLO 5 as it shows itself: Manager Oem.Hpe, KCS on in NetworkProtocol.
std::string hpe_with_kcs(const BmcSim& sim) {
  const auto protocol =
      std::string(resource(sim, kManager).at("NetworkProtocol").at("@odata.id").as_string());
  edit(sim, kManager, [](json::object& m) {
    m["Oem"] = json::object{{"Hpe", json::object{{"@odata.type", "#HpeiLO.v2_8_0.HpeiLO"}}}};
  });
  edit(sim, protocol, [](json::object& p) {
    p["Oem"] = json::object{{"Hpe", json::object{{"KcsEnabled", true}}}};
  });
  return protocol;
}

policy::Observation act_and_observe(PolicyRig& rig, const policy::BmcSupport& d) {
  auto outcome = rig.act(d, ItemId::inband_ipmi);
  INFO(outcome.error);
  CHECK(outcome.ok);
  return rig.observe(d, ItemId::inband_ipmi);
}

}  // namespace

TEST_CASE("inband_ipmi: HPE iLO's KcsEnabled is switched off in NetworkProtocol",
          "[policy][inband]") {
  BmcSim sim({fixture_dir("redfish/hpe")});
  const auto protocol = hpe_with_kcs(sim);
  PolicyRig rig(sim);
  auto d = rig.discover();
  REQUIRE(d.profile);
  CHECK(d.profile->name == "hpe-ilo");
  CHECK(d.backends.at(ItemId::inband_ipmi)->transport() == "redfish/oem:hpe-ilo");
  auto before = rig.observe(d, ItemId::inband_ipmi);
  CHECK(before.status == Status::drifted);
  CHECK(before.current == "enabled");
  sim.reset_stats();
  CHECK(act_and_observe(rig, d).status == Status::compliant);
  // The service's link ends in '/'; the client writes the canonical path.
  CHECK(writes(sim) ==
        std::vector<std::string>{"PATCH " + protocol.substr(0, protocol.size() - 1)});
  CHECK_FALSE(resource(sim, protocol).at("Oem").at("Hpe").at("KcsEnabled").as_bool());
}

TEST_CASE("inband_ipmi: Lenovo XCC's KCSEnabled, in the type the firmware uses",
          "[policy][inband]") {
  BmcSim sim({fixture_dir("redfish/unknown-vendor")});
  const auto manager = std::string(json::parse(sim.resource("/redfish/v1/Managers"))
                                       .at("Members")
                                       .as_array()[0]
                                       .at("@odata.id")
                                       .as_string());
  const bool as_text = GENERATE(false, true);
  INFO("KCSEnabled as " << (as_text ? "a string" : "a boolean"));
  edit(sim, manager, [&](json::object& m) {
    json::value on = as_text ? json::value("Enabled") : json::value(true);
    m["Oem"] = json::object{
        {"Lenovo", json::object{{"@odata.type", "#LenovoManager.v1_0_0.LenovoManagerProperties"},
                                {"KCSEnabled", on}}}};
  });
  PolicyRig rig(sim);
  auto d = rig.discover();
  REQUIRE(d.profile);
  CHECK(d.profile->name == "lenovo-xcc");
  CHECK(rig.observe(d, ItemId::inband_ipmi).status == Status::drifted);
  CHECK(act_and_observe(rig, d).status == Status::compliant);
  const auto kcs = resource(sim, manager).at("Oem").at("Lenovo").at("KCSEnabled");
  if (as_text)
    CHECK(kcs == json::value("Disabled"));
  else
    CHECK(kcs == json::value(false));
}

TEST_CASE("inband_ipmi: Supermicro's KCS privilege is lowered to Callback", "[policy][inband]") {
  BmcSim sim({fixture_dir("redfish/supermicro")});
  const auto kcs = kManager + "/Oem/Supermicro/KCSInterface";
  edit(sim, kManager, [&](json::object& m) {
    m["Oem"].as_object()["Supermicro"].as_object()["KCSInterface"] =
        json::object{{"@odata.id", kcs}};
  });
  put(sim, kcs,
      json::object{{"@odata.id", kcs},
                   {"Privilege", "Administrator"},
                   {"Privilege@Redfish.AllowableValues",
                    json::array{"Administrator", "Operator", "User", "Callback"}}});
  PolicyRig rig(sim);
  auto d = rig.discover();
  REQUIRE(d.profile);
  CHECK(d.profile->name == "supermicro");
  auto before = rig.observe(d, ItemId::inband_ipmi);
  CHECK(before.status == Status::drifted);
  CHECK(before.current == "Administrator");
  CHECK(act_and_observe(rig, d).status == Status::compliant);
  CHECK(resource(sim, kcs).at("Privilege") == json::value("Callback"));
  CHECK(d.backends.count(ItemId::fans));  // the fan switch is still served beside it
}

TEST_CASE("inband_ipmi: no known switch means unsupported, naming what is unknown",
          "[policy][inband]") {
  SECTION("Dell: IPMILan is the network channel, not KCS") {
    BmcSim sim({fixture_dir("redfish/dell")});
    PolicyRig rig(sim);
    auto d = rig.discover();
    policy::explain_unsupported(d, true);
    CHECK_FALSE(d.backends.count(ItemId::inband_ipmi));
    const auto why = d.unsupported.at(ItemId::inband_ipmi);
    CHECK(why.find("dell-idrac") != std::string::npos);
    CHECK(why.find("in-band IPMI (KCS)") != std::string::npos);
  }
  SECTION("an HPE iLO whose NetworkProtocol does not show KcsEnabled") {
    BmcSim sim({fixture_dir("redfish/hpe")});
    edit(sim, kManager, [](json::object& m) { m["Oem"] = json::object{{"Hpe", json::object{}}}; });
    PolicyRig rig(sim);
    auto d = rig.discover();
    policy::explain_unsupported(d, true);
    const auto why = d.unsupported.at(ItemId::inband_ipmi);
    CHECK(why.find("hpe-ilo knows") != std::string::npos);
    CHECK(why.find("does not advertise it") != std::string::npos);
  }
}

TEST_CASE("inband_ipmi: enforce never writes while bmcquiet's own IPMI transport is in-band",
          "[policy][inband]") {
  BmcSim sim({fixture_dir("redfish/hpe")});
  const auto protocol = hpe_with_kcs(sim);
  RedfishRig rig;
  ipmi::ClientConfig inband;
  inband.transport = ipmi::TransportKind::inband;
  inband.device = rig.dir.path() + "/ipmi0";  // absent: Get Device ID fails at once
  inband.count_smis = false;
  inband.timeout = 50ms;
  inband.retries = 0;
  auto owner = bmc::Bmc::create(rig.io, nullptr, {.redfish = rig.options(sim), .ipmi = inband});
  owner->borrow();
  policy::PolicySettings s;
  s.modes.fill(policy::Mode::off);
  // report says up front that enforce would refuse; enforce refuses.
  const auto mode = GENERATE(policy::Mode::report, policy::Mode::enforce);
  s.set_mode(ItemId::inband_ipmi, mode);
  Metrics metrics;
  auto engine =
      std::make_shared<policy::Engine>(metrics, policy::Engine::Options{s, rig.dir.path(), nullptr},
                                       policy::make_bmc_provider(owner, {rig.dir.path()}));
  sim.reset_stats();
  auto pass = [&] {
    bool done = false;
    engine->reconcile([&] { done = true; });
    rig.run_until([&] { return done; });
    return engine->status().items[std::size_t(ItemId::inband_ipmi)];
  };
  auto item = pass();
  item = pass();  // the refusal holds: said once, never a failure with back-off
  engine->detach();
  INFO(to_string(mode) << ": " << item.detail);
  CHECK(item.current == "enabled");  // still observed and reported
  CHECK(item.detail.find("bmc.ipmi.transport: inband") != std::string::npos);
  for (const auto& w : writes(sim)) CHECK(w.rfind("PATCH", 0) != 0);
  CHECK(resource(sim, protocol).at("Oem").at("Hpe").at("KcsEnabled").as_bool());
  CHECK(item.reapplies == 0);
  CHECK(item.failures == 0);
  CHECK_FALSE(item.backing_off);
  CHECK(item.visible == (mode == policy::Mode::enforce ? "unsupported" : "drifted"));
  CHECK(sample_value(metrics.serialize(),
                     "bmcquiet_policy_reapply_failures_total{setting=\"inband_ipmi\"}") == 0.0);
}

TEST_CASE("bmcquietctl check shows the inband_ipmi item and who uses in-band IPMI on the host",
          "[policy][inband][check]") {
  BmcSim sim({fixture_dir("redfish/hpe")});
  hpe_with_kcs(sim);
  TempDir dir;
  dir.write("sys/devices/system/cpu/online", "0-7\n");
  dir.write("sys/devices/system/cpu/isolated", "2-7\n");
  dir.write("sys/devices/platform/ipmi_si.0/type", "kcs\n");
  dir.write("sys/devices/platform/ipmi_si.0/complete_transactions", "1234\n");
  dir.write("dev/ipmi0", "");
  dir.write("proc/812/comm", "ipmievd\n");
  dir.write("proc/812/status", "Name:\tipmievd\nCpus_allowed_list:\t0-7\n");
  std::filesystem::create_directories(dir.path() + "/proc/812/fd");
  std::filesystem::create_symlink(dir.path() + "/dev/ipmi0", dir.path() + "/proc/812/fd/3");
  const auto password = dir.write("password", "secret");
  ::chmod(password.c_str(), 0600);
  const auto config = dir.write(
      "bmcquiet.yaml",
      fmt::format("paths:\n  state: {0}/state\n  procfs: {0}/proc\n  sysfs: {0}/sys\n  devfs: "
                  "{0}/dev\nbmc:\n  redfish:\n    url: {1}\n    host_interface: false\n"
                  "    username: admin\n    password_credential: \"\"\n    password_file: {2}\n"
                  "    insecure: true\n",
                  dir.path(), sim.url(), password));
  const auto ctl = built_binary("daemon/bmcquietctl");
  sim.reset_stats();
  auto run =
      run_command("{ " + ctl + " check --json --sample 0.2 --config " + config + " 2>/dev/null; }");
  INFO(run.output);
  const auto report = json::parse(run.output).as_object();
  const auto& inband = report.at("inband_ipmi");
  REQUIRE(inband.at("users").as_array().size() == 1);
  const auto& user = inband.at("users").as_array()[0];
  CHECK(user.at("pid") == 812);
  CHECK(user.at("comm") == "ipmievd");
  CHECK(user.at("may_run_on_isolated") == true);
  CHECK(inband.at("ipmi_si_type") == "kcs");
  CHECK(inband.at("ipmi_si_counters").at("complete_transactions") == 1234);
  bool item_seen = false;
  for (const auto& item : report.at("policy").at("items").as_array())
    if (item.at("setting") == "inband_ipmi") {
      item_seen = true;
      CHECK(item.at("state") == "drifted");
    }
  CHECK(item_seen);

  auto text = run_command(ctl + " check --sample 0.2 --config " + config + " 2>&1");
  INFO(text.output);
  CHECK(text.output.find("pid 812 ipmievd") != std::string::npos);
  CHECK(text.output.find("may run on isolated CPUs") != std::string::npos);
  CHECK(text.output.find("ipmi_si (kcs): 1234 transactions") != std::string::npos);
  CHECK(sim.stat("writes") == 0);
}

TEST_CASE(
    "inband_ipmi over real captures: Supermicro HGX shows KCS at Administrator, iLO 5 2.70 "
    "has no KcsEnabled",
    "[policy][inband][interop]") {
  auto captures = shared_mockups();  // WARNs when absent
  if (!captures) return;
  {
    BmcSim sim({(*captures / "supermicro").string()});
    PolicyRig rig(sim);
    auto d = rig.discover();
    REQUIRE(d.profile);
    CHECK(d.backends.at(ItemId::inband_ipmi)->transport() == "redfish/oem:supermicro");
    auto kcs = rig.observe(d, ItemId::inband_ipmi);
    CHECK(kcs.status == Status::drifted);
    CHECK(kcs.current == "Administrator");
    CHECK(kcs.desired == "Callback");
  }
  {
    // Firmware older than the KcsEnabled property: unsupported, saying what is missing.
    BmcSim sim({(*captures / "hpe-ilo5-apollo6500-xl675d-a100").string()});
    PolicyRig rig(sim);
    auto d = rig.discover();
    REQUIRE(d.profile);
    CHECK(d.profile->name == "hpe-ilo");
    policy::explain_unsupported(d, true);
    CHECK_FALSE(d.backends.count(ItemId::inband_ipmi));
    CHECK(d.unsupported.at(ItemId::inband_ipmi).find("KcsEnabled") != std::string::npos);
  }
}
