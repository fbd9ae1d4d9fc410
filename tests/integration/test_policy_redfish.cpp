// The policy end to end against the Redfish simulator (tests/tools/bmcsim):
// the real daemon with a real Redfish client, drift injected into the
// simulator's state, writes counted by the simulator.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "policy/redfish_items.hpp"
#include "policy/sel_item.hpp"
#include "redfish/client.hpp"
#include "support/bmcsim.hpp"
#include "support/child.hpp"
#include "support/helpers.hpp"
#include "support/redfish_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string kSystem = "/redfish/v1/Systems/System.Embedded.1";
const std::string kSelLog = "/redfish/v1/Managers/iDRAC.Embedded.1/LogServices/Sel";

std::string password_file(const TempDir& dir) {
  auto file = dir.write("password", "secret");
  ::chmod(file.c_str(), 0600);
  return file;
}

struct Daemon {
  int port = free_tcp_port();
  std::unique_ptr<Process> process;

  Daemon(const TempDir& dir, const BmcSim& sim, const std::string& items,
         const std::string& policy_extra = "") {
    auto config = dir.write("bmcquiet.yaml", "paths:\n  state: " + dir.path() + "/state\n" +
                                                 "bmc:\n  redfish:\n    url: " + sim.url() +
                                                 "\n    host_interface: false\n"
                                                 "    username: admin\n"
                                                 "    password_credential: \"\"\n"
                                                 "    password_file: " +
                                                 password_file(dir) +
                                                 "\n    insecure: true\n"
                                                 "collectors:\n  redfish:\n    enabled: false\n"
                                                 "  policy:\n    interval: 300ms\n" +
                                                 policy_extra +
                                                 (items.empty() ? "" : "    items:\n" + items));
    process = std::make_unique<Process>(
        std::vector<std::string>{built_binary("daemon/bmcquietd"), "--config", config, "--listen",
                                 "127.0.0.1:" + std::to_string(port)});
  }
  ~Daemon() {
    process->signal(SIGTERM);
    process->wait(5s);
  }
  std::optional<double> value(const std::string& series) const {
    auto r = http_get("http://127.0.0.1:" + std::to_string(port) + "/metrics");
    return r.status == 200 ? sample_value(r.body, series) : std::nullopt;
  }
  bool wait_for(const std::string& series, double v, std::chrono::milliseconds limit = 15s) const {
    for (auto waited = 0ms; waited < limit; waited += 20ms) {
      if (value(series) == v) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
};

// Replaces a member of a simulated resource, as another admin would.
void set_in_sim(const BmcSim& sim, const std::string& path,
                const std::function<void(json::object&)>& edit) {
  auto body = json::parse(sim.resource(path)).as_object();
  edit(body);
  sim.control("POST", "/resource?path=" + path, json::serialize(body));
}

bool sol_enabled_in_sim(const BmcSim& sim) {
  auto body = json::parse(sim.resource(kSystem));
  return body.at("SerialConsole").at("IPMI").at("ServiceEnabled").as_bool();
}

std::size_t writes_to(const BmcSim& sim, const std::string& fragment) {
  auto writes = json::parse(sim.control("GET", "/writes")).as_array();
  std::size_t n = 0;
  for (const auto& w : writes)
    if (std::string(w.at("path").as_string()).find(fragment) != std::string::npos) ++n;
  return n;
}

std::string series(const char* name, const char* setting) {
  return std::string(name) + "{setting=\"" + setting + "\"}";
}

}  // namespace

TEST_CASE("enforce: drift injected into the BMC is reverted within one interval", "[policy][e2e]") {
  TempDir dir;
  BmcSim sim({fixture_dir("redfish/dell")});
  Daemon d(dir, sim,
           "      sol: {mode: enforce}\n      watchdog: {mode: enforce}\n"
           "      virtual_media: {mode: enforce}\n");
  REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "sol"), 1));
  CHECK_FALSE(sol_enabled_in_sim(sim));  // the fixture starts with SOL on
  // Items are reconciled one after another: wait for each, not just the first.
  CHECK(d.wait_for(series("bmcquiet_policy_compliant", "watchdog"), 1));
  CHECK(d.wait_for(series("bmcquiet_policy_compliant", "virtual_media"), 1));
  const auto drifts = d.value(series("bmcquiet_policy_drift_detected_total", "sol")).value_or(-1);

  sim.reset_stats();
  const auto injected = std::chrono::steady_clock::now();
  set_in_sim(sim, kSystem, [](json::object& s) {
    s["SerialConsole"].as_object()["IPMI"].as_object()["ServiceEnabled"] = true;
  });
  REQUIRE(d.wait_for(series("bmcquiet_policy_drift_detected_total", "sol"), drifts + 1, 5s));
  auto reverted = [&] { return !sol_enabled_in_sim(sim); };
  for (int i = 0; i < 100 && !reverted(); ++i) std::this_thread::sleep_for(10ms);
  const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - injected);
  CHECK(reverted());
  WARN("drift to revert: " << took.count() << " s (interval 0.3 s)");
  CHECK(took < 1.5s);  // one 300 ms interval plus the round trips, with CI slack
  CHECK(writes_to(sim, kSystem) == 1);
  CHECK(d.wait_for(series("bmcquiet_policy_compliant", "sol"), 1));
  CHECK(d.value(series("bmcquiet_policy_reapply_total", "sol")) >= 2.0);
  CHECK(d.value(series("bmcquiet_policy_reapply_failures_total", "sol")) == 0.0);
}

TEST_CASE("flap guard: a setting someone keeps turning back on stops being enforced",
          "[policy][e2e]") {
  TempDir dir;
  BmcSim sim({fixture_dir("redfish/dell")});
  // A flap window far longer than the test: only the drift count matters.
  Daemon d(dir, sim, "      sol: {mode: enforce}\n",
           "    flap_guard: {max_drifts: 2, window: 1h}\n");
  REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "sol"), 1));  // drift 1, reverted
  for (int drift = 2; drift <= 3; ++drift) {
    set_in_sim(sim, kSystem, [](json::object& s) {
      s["SerialConsole"].as_object()["IPMI"].as_object()["ServiceEnabled"] = true;
    });
    REQUIRE(d.wait_for(series("bmcquiet_policy_drift_detected_total", "sol"), drift, 5s));
    if (drift == 2) REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "sol"), 1, 5s));
  }
  // The third drift exceeds max_drifts: reported flapping, left alone.
  REQUIRE(d.wait_for(series("bmcquiet_policy_flapping", "sol"), 1, 5s));
  sim.reset_stats();
  std::this_thread::sleep_for(1s);  // three more passes
  CHECK(sim.stat("writes") == 0);
  CHECK(sol_enabled_in_sim(sim));
  CHECK(d.value(series("bmcquiet_policy_compliant", "sol")) == 0.0);
  CHECK(d.value(series("bmcquiet_policy_reapply_total", "sol")) == 2.0);
}

TEST_CASE("report mode never writes, even with every item drifted", "[policy][e2e]") {
  TempDir dir;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  set_in_sim(sim, "/redfish/v1/Managers/1/Oem/Supermicro/FanMode",
             [](json::object& f) { f["Mode"] = "Optimal"; });
  sim.reset_stats();
  Daemon d(dir, sim, "");  // every item in its default mode: report
  REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "sol"), 0));
  REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "fans"), 0));  // via the profile
  CHECK(d.wait_for(series("bmcquiet_policy_compliant", "watchdog"), 0));
  const auto first = d.value("bmcquiet_policy_last_reconcile_timestamp_seconds").value_or(0);
  for (int i = 0;
       i < 200 && d.value("bmcquiet_policy_last_reconcile_timestamp_seconds") < first + 0.6; ++i)
    std::this_thread::sleep_for(20ms);  // a few more passes
  CHECK(sim.stat("writes") == 0);
  CHECK(sim.stat("requests") > 10);
  CHECK(d.value(series("bmcquiet_policy_drift_detected_total", "sol")) == 1.0);
}

TEST_CASE("a profile's OEM setting is enforced; an unidentified BMC gets none", "[policy][e2e]") {
  SECTION("Supermicro: FanMode through the supermicro profile") {
    TempDir dir;
    BmcSim sim({fixture_dir("redfish/supermicro")});
    set_in_sim(sim, "/redfish/v1/Managers/1/Oem/Supermicro/FanMode",
               [](json::object& f) { f["Mode"] = "Optimal"; });
    Daemon d(dir, sim, "      fans: {mode: enforce}\n");
    REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "fans"), 1));
    CHECK(writes_to(sim, "/Oem/Supermicro/FanMode") == 1);
  }
  SECTION("unknown vendor: OEM-only items are unsupported, zero OEM writes") {
    TempDir dir;
    BmcSim sim({fixture_dir("redfish/unknown-vendor")});
    Daemon d(dir, sim,
             "      fans: {mode: enforce}\n      firmware_auto_update: {mode: enforce}\n"
             "      sol: {mode: enforce}\n");
    REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "sol"), 1));  // standard Redfish
    CHECK_FALSE(d.value(series("bmcquiet_policy_compliant", "fans")));   // absent: unsupported
    CHECK_FALSE(d.value(series("bmcquiet_policy_compliant", "firmware_auto_update")));
    CHECK(writes_to(sim, "/Oem/") == 0);
    CHECK(sim.stat("writes") == 1);  // the one standard SOL PATCH
  }
}

namespace {

struct Loop {
  boost::asio::io_context io;
  template <class Pred>
  bool run_until(Pred done) {
    const auto until = std::chrono::steady_clock::now() + 20s;
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < until) io.run_one_for(50ms);
    return done();
  }
};

std::shared_ptr<redfish::Client> client_for(Loop& loop, const BmcSim& sim, const TempDir& dir) {
  redfish::ClientOptions o;
  o.url = sim.url();
  o.username = "admin";
  o.password_credential = "";
  o.password_file = password_file(dir);
  o.insecure = true;
  return redfish::Client::create(loop.io, o, nullptr);
}

std::size_t lines_in(const std::string& file) {
  std::ifstream in(file);
  std::size_t n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

double sim_entries(const BmcSim& sim) {
  auto body = json::parse(sim.resource(kSelLog + "/Entries"));
  return double(body.at("Members").as_array().size());
}

}  // namespace

TEST_CASE("SEL over Redfish: a crash between archive and clear loses nothing", "[policy][e2e]") {
  TempDir dir;
  BmcSim sim({fixture_dir("redfish/dell")});
  set_in_sim(sim, kSelLog, [](json::object& l) { l["MaxNumberOfRecords"] = 6; });
  REQUIRE(sim_entries(sim) == 5);
  const auto archive = dir.path() + "/state/sel-archive.jsonl";
  policy::SelItemOptions options{0.5, dir.path() + "/state", 1 << 20, 2, nullptr};

  // The injected crash: the process dies right after the archive is durable.
  REQUIRE(test::run_in_child([&] {
            Loop loop;
            auto o = options;
            o.after_archive = [] { ::_exit(42); };
            auto item = policy::make_sel_backend(
                policy::make_redfish_sel(client_for(loop, sim, dir), kSelLog), o);
            bool done = false;
            item->act([&](policy::ActOutcome) { done = true; });
            loop.run_until([&] { return done; });
          }) == 42);
  CHECK(lines_in(archive) == 5);
  CHECK(sim_entries(sim) == 5);  // not cleared
  CHECK(writes_to(sim, "ClearLog") == 0);

  Loop loop;  // the restarted daemon
  auto item = policy::make_sel_backend(
      policy::make_redfish_sel(client_for(loop, sim, dir), kSelLog), options);
  std::optional<policy::Observation> seen;
  item->observe([&](policy::Observation o) { seen = o; });
  REQUIRE(loop.run_until([&] { return seen.has_value(); }));
  CHECK(seen->status == policy::Observation::Status::drifted);
  CHECK(seen->current == "5/6 (83%)");
  std::optional<policy::ActOutcome> outcome;
  item->act([&](policy::ActOutcome o) { outcome = o; });
  REQUIRE(loop.run_until([&] { return outcome.has_value(); }));
  INFO(outcome->error);
  CHECK(outcome->ok);
  CHECK(lines_in(archive) == 5);  // re-read entries were recognised, not duplicated
  CHECK(sim_entries(sim) == 0);
  CHECK(writes_to(sim, "ClearLog") == 1);
}

namespace {

// A config for `bmcquietctl check` against the simulator.
std::string check_config(const TempDir& dir, const BmcSim& sim, const std::string& items) {
  return dir.write("bmcquiet.yaml", "paths:\n  state: " + dir.path() +
                                        "/state\nbmc:\n  redfish:\n    url: " + sim.url() +
                                        "\n    host_interface: false\n    username: admin\n"
                                        "    password_credential: \"\"\n    password_file: " +
                                        password_file(dir) +
                                        "\n    insecure: true\ncollectors:\n  policy:\n"
                                        "    items:\n" +
                                        items);
}

json::object check_json(const std::string& config) {
  // Braces: run_command sends stderr to the output; the log lines stay out of the JSON.
  auto run = run_command("{ " + built_binary("daemon/bmcquietctl") +
                         " check --json --sample 0.2 --config " + config + " 2>/dev/null; }");
  INFO(run.output);
  auto report = json::parse(run.output).as_object();
  CHECK(run.exit_code == int(report.at("exit_code").as_int64()));
  return report;
}

const json::object& item_in(const json::object& report, const char* setting) {
  for (const auto& item : report.at("policy").at("items").as_array())
    if (item.at("setting") == setting) return item.as_object();
  FAIL("no item " << setting << " in the report");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("bmcquietctl check reads the BMC, reports drift by exit code, writes nothing",
          "[policy][e2e][check]") {
  TempDir dir;
  BmcSim sim({fixture_dir("redfish/dell")});
  auto config = check_config(dir, sim, "      sol: {mode: enforce}\n");
  sim.reset_stats();
  auto report = check_json(config);
  CHECK(report.at("exit_code").as_int64() >= 1);  // SOL is on in the fixture: at least a warning
  CHECK(item_in(report, "sol").at("state") == "drifted");
  CHECK(report.at("plan").at("changes").as_array().size() >= 1);
  CHECK(report.at("policy").at("identity").as_string().find("Dell") != json::string::npos);
  CHECK(sim.stat("writes") == 0);  // even with sol: enforce in the config

  auto table = run_command(built_binary("daemon/bmcquietctl") + " check --sample 0.2 --config " +
                           config + " 2>&1");
  CHECK(table.output.find("What the policy would change") != std::string::npos);
  CHECK(table.output.find("dell-idrac") != std::string::npos);
  CHECK(sim.stat("writes") == 0);
}

TEST_CASE("power cap through a Power Control: raised to the floor, switched off, or left alone",
          "[policy][e2e]") {
  const std::string control = "/redfish/v1/Chassis/1U/Controls/PowerLimit";
  auto control_json = [&](const BmcSim& sim) { return json::parse(sim.resource(control)); };
  TempDir dir;
  {
    BmcSim sim({fixture_dir("redfish/subsystem")});  // SetPoint 500 W, Automatic
    Daemon d(dir, sim, "      power_cap: {mode: enforce, floor_watts: 600}\n");
    REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "power_cap"), 1));
    CHECK(control_json(sim).at("SetPoint").as_int64() == 600);
    CHECK(control_json(sim).at("ControlMode").as_string() == "Automatic");
    CHECK(writes_to(sim, control) == 1);
    CHECK(d.value(series("bmcquiet_policy_drift_detected_total", "power_cap")) == 1.0);
  }
  {
    BmcSim sim({fixture_dir("redfish/subsystem")});
    Daemon d(dir, sim, "      power_cap: {mode: enforce}\n");  // no floor: no cap at all
    REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "power_cap"), 1));
    CHECK(control_json(sim).at("ControlMode").as_string() == "Disabled");
    CHECK(control_json(sim).at("SetPoint").as_int64() == 500);  // untouched
  }
  {
    // A floor above AllowableMax (1000 W) cannot be a set point, and lifting
    // a cap the operator asked a floor for is not the fix either (issue 13):
    // reported, nothing written.
    BmcSim sim({fixture_dir("redfish/subsystem")});
    Daemon d(dir, sim, "      power_cap: {mode: enforce, floor_watts: 1200}\n");
    REQUIRE(d.wait_for(series("bmcquiet_policy_reapply_failures_total", "power_cap"), 1));
    CHECK(d.value(series("bmcquiet_policy_compliant", "power_cap")) == 0.0);
    CHECK(control_json(sim).at("ControlMode").as_string() == "Automatic");
    CHECK(control_json(sim).at("SetPoint").as_int64() == 500);
    CHECK(sim.stat("writes") == 0);
  }
}

TEST_CASE(
    "bmcquietctl check over the real iDRAC9 capture: SOL drift from DellAttributes, no "
    "power-cap CRITICAL",
    "[policy][e2e][check][interop]") {
  auto captures = shared_mockups();  // WARNs when absent
  if (!captures) return;
  TempDir dir;
  BmcSim sim({(*captures / "dell-idrac9").string()});
  auto report = check_json(check_config(dir, sim, "      power_cap: {mode: report}\n"));
  // Manager.SerialConsole is empty/false there; IPMISOL.1.Enable is Enabled.
  const auto& sol = item_in(report, "sol");
  CHECK(sol.at("state") == "drifted");
  CHECK(sol.at("current") == "Enabled");
  CHECK(sol.at("transport") == "redfish/oem:dell-idrac");
  // LimitInWatts 1205, but ServerPwr.1.PowerCapSetting is Disabled: no active cap.
  const auto& cap = item_in(report, "power_cap");
  CHECK(cap.at("state") == "compliant");
  CHECK(std::string(cap.at("current").as_string()).find("1205 W configured") != std::string::npos);
  CHECK(report.at("severity") != "CRITICAL");
  CHECK(report.at("exit_code").as_int64() == 1);  // WARNING: the drifts, nothing worse
  CHECK(sim.stat("writes") == 0);
}

TEST_CASE(
    "bmcquietctl check over the real Supermicro capture: the SEL listed under Systems is "
    "supported",
    "[policy][e2e][check][interop]") {
  auto captures = shared_mockups();  // WARNs when absent
  if (!captures) return;
  TempDir dir;
  BmcSim sim({(*captures / "supermicro").string()});
  auto report = check_json(check_config(dir, sim, "      sel: {mode: report}\n"));
  // Systems/1/LogServices/Log1 is the SEL (LogEntryType SEL); the Manager's
  // Log1 is an OEM maintenance log, which the policy must not take for it.
  const auto& sel = item_in(report, "sel");
  CHECK(sel.at("state") == "compliant");
  CHECK(sel.at("current") == "82/4096 (2%)");
  CHECK(item_in(report, "fans").at("transport") == "redfish/oem:supermicro");
  CHECK(sim.stat("writes") == 0);
}

TEST_CASE(
    "flap guard: once the drifts leave the window the item is enforced again, no new drift "
    "needed",
    "[policy][e2e]") {
  TempDir dir;
  BmcSim sim({fixture_dir("redfish/dell")});
  Daemon d(dir, sim, "      sol: {mode: enforce}\n",
           "    flap_guard: {max_drifts: 1, window: 3s}\n");
  REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "sol"), 1));  // drift 1, reverted
  set_in_sim(sim, kSystem, [](json::object& s) {
    s["SerialConsole"].as_object()["IPMI"].as_object()["ServiceEnabled"] = true;
  });
  REQUIRE(d.wait_for(series("bmcquiet_policy_flapping", "sol"), 1, 5s));  // drift 2 > 1
  CHECK(d.value("bmcquiet_policy_item_state{setting=\"sol\",state=\"flapping\"}") == 1.0);
  CHECK(sol_enabled_in_sim(sim));
  // Nobody touches it again; the window forgets both drifts and a later pass
  // puts it back by itself.
  REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "sol"), 1, 10s));
  CHECK_FALSE(sol_enabled_in_sim(sim));
  CHECK(d.value(series("bmcquiet_policy_flapping", "sol")) == 0.0);
  CHECK(d.value(series("bmcquiet_policy_drift_detected_total", "sol")) == 2.0);
}

TEST_CASE("while the BMC does not answer, compliance is unknown and the outage is no drift",
          "[policy][e2e]") {
  TempDir dir;
  BmcSim sim({fixture_dir("redfish/dell")});
  Daemon d(dir, sim, "      sol: {mode: enforce}\n");
  REQUIRE(d.wait_for(series("bmcquiet_policy_compliant", "sol"), 1));
  const auto drifts = d.value(series("bmcquiet_policy_drift_detected_total", "sol"));
  sim.fault("reset");  // every connection dropped: the BMC is gone
  CHECK(d.wait_for("bmcquiet_policy_item_state{setting=\"sol\",state=\"error\"}", 1));
  CHECK_FALSE(d.value(series("bmcquiet_policy_compliant", "sol")));
  sim.clear_fault();
  CHECK(d.wait_for(series("bmcquiet_policy_compliant", "sol"), 1, 20s));
  CHECK(d.value(series("bmcquiet_policy_drift_detected_total", "sol")) == drifts);
}
