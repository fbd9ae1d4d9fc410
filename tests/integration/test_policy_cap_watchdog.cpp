// Power-cap and watchdog writes that are safe on real BMCs (issue 13, items 2
// and 3): against bmcsim with fixtures reshaped the way real BMCs differ (a
// range-limited Control, a multi-member PowerControl listed out of order,
// HardPowerOff, a cap that is switched off, Dell's thresholds), and against
// ipmi_sim with the result read back by ipmitool, including a host that keeps
// petting its watchdog while the policy runs.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "bmc/bmc.hpp"
#include "metrics/metrics.hpp"
#include "policy/engine.hpp"
#include "policy/provider.hpp"
#include "support/bmcsim.hpp"
#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"
#include "support/policy_rig.hpp"
#include "support/sim_resources.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using Status = policy::Observation::Status;
using policy::ItemId;

namespace {

const std::string kV1 = "/redfish/v1";
const std::string kControl = kV1 + "/Chassis/1U/Controls/PowerLimit";
const std::string kDellPower = kV1 + "/Chassis/System.Embedded.1/Power";
const std::string kDellSystem = kV1 + "/Systems/System.Embedded.1";
const std::string kIdrac = kV1 + "/Managers/iDRAC.Embedded.1";

json::array writes(const BmcSim& sim) {
  return json::parse(sim.control("GET", "/writes")).as_array();
}

// One discovery at a time; observe/act on the current one.
struct CapRig : PolicyRig {
  policy::BmcSupport discovery;
  using PolicyRig::PolicyRig;
  void rediscover() { discovery = discover(); }
  policy::Observation observe(ItemId id) { return PolicyRig::observe(discovery, id); }
  policy::ActOutcome act(ItemId id) { return PolicyRig::act(discovery, id); }
};

std::string text(const json::value& v) { return std::string(v.as_string()); }
bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("power cap Control: a floor outside AllowableMin/Max is reported, never written",
          "[policy][power_cap]") {
  BmcSim sim({fixture_dir("redfish/subsystem")});  // SetPoint 500 W, range 150..1000 W
  CapRig rig(sim);
  rig.settings.power_floor_watts = 1200;
  rig.rediscover();
  auto o = rig.observe(ItemId::power_cap);
  CHECK(o.status == Status::drifted);
  CHECK(o.current == "500 W");
  INFO(o.detail);
  CHECK(has(o.detail, "floor_watts 1200 W is above the range " + kControl));
  CHECK(has(o.detail, "150..1000 W (AllowableMin/AllowableMax of " + kControl + ")"));
  sim.reset_stats();
  auto outcome = rig.act(ItemId::power_cap);
  CHECK_FALSE(outcome.ok);
  CHECK(has(outcome.error, "not written"));
  CHECK(sim.stat("writes") == 0);
  CHECK(resource(sim, kControl).at("SetPoint").as_int64() == 500);
  CHECK(text(resource(sim, kControl).at("ControlMode")) == "Automatic");

  SECTION("a floor below AllowableMin is refused the same way") {
    edit(sim, kControl, [](json::object& c) { c["SetPoint"] = 100; });  // BMC-side oddity
    rig.settings.power_floor_watts = 120;
    rig.rediscover();
    CHECK(has(rig.observe(ItemId::power_cap).detail, "is below the range"));
    CHECK_FALSE(rig.act(ItemId::power_cap).ok);
    CHECK(sim.stat("writes") == 0);
  }
  SECTION("units spelled Watt are watts; a floor inside the range is written") {
    edit(sim, kControl, [](json::object& c) { c["SetPointUnits"] = "Watt"; });
    rig.settings.power_floor_watts = 900;
    rig.rediscover();
    CHECK(rig.observe(ItemId::power_cap).status == Status::drifted);
    REQUIRE(rig.act(ItemId::power_cap).ok);
    CHECK(resource(sim, kControl).at("SetPoint").as_int64() == 900);
    CHECK(rig.observe(ItemId::power_cap).status == Status::compliant);
  }
}

TEST_CASE("power cap Controls: a CPU power control beside the server's is shown, never written",
          "[policy][power_cap]") {
  BmcSim sim({fixture_dir("redfish/subsystem")});
  const auto cpu = kV1 + "/Chassis/1U/Controls/CPUPowerLimit";
  auto body = resource(sim, kControl);
  body["@odata.id"] = cpu;
  body["Id"] = "CPUPowerLimit";
  body["PhysicalContext"] = "CPU";
  body["SetPoint"] = 200;
  put(sim, cpu, body);
  edit(sim, kV1 + "/Chassis/1U/Controls", [&](json::object& c) {  // the CPU's listed first
    c["Members"] =
        json::array{json::object{{"@odata.id", cpu}}, json::object{{"@odata.id", kControl}}};
    c["Members@odata.count"] = 2;
  });
  CapRig rig(sim);
  rig.settings.power_floor_watts = 600;
  rig.rediscover();
  auto o = rig.observe(ItemId::power_cap);
  CHECK(o.current == "500 W");  // the whole chassis' control, not the CPU's 200 W
  INFO(o.detail);
  CHECK(has(o.detail,
            "other power controls of the server chassis, never written: " + cpu + " (CPU)"));
  sim.reset_stats();
  REQUIRE(rig.act(ItemId::power_cap).ok);
  const auto w = writes(sim);
  REQUIRE(w.size() == 1);
  CHECK(text(w[0].at("path")) == kControl);
  CHECK(resource(sim, cpu).at("SetPoint").as_int64() == 200);
}

TEST_CASE("power cap: a cap that is switched off is compliant and never switched on",
          "[policy][power_cap]") {
  BmcSim sim({fixture_dir("redfish/subsystem")});
  CapRig rig(sim);
  rig.settings.power_floor_watts = 600;  // the configured 500 W would be below it
  SECTION("ControlMode Disabled") {
    edit(sim, kControl, [](json::object& c) { c["ControlMode"] = "Disabled"; });
    rig.rediscover();
    auto o = rig.observe(ItemId::power_cap);
    CHECK(o.status == Status::compliant);
    CHECK(o.current == "none (ControlMode Disabled at " + kControl + ", 500 W configured)");
  }
  SECTION("Status.State Disabled") {
    edit(sim, kControl, [](json::object& c) { c["Status"] = json::object{{"State", "Disabled"}}; });
    rig.rediscover();
    CHECK(rig.observe(ItemId::power_cap).status == Status::compliant);
  }
  sim.reset_stats();
  CHECK(rig.act(ItemId::power_cap).ok);  // even if asked: nothing to do
  CHECK(sim.stat("writes") == 0);
  CHECK(resource(sim, kControl).at("SetPoint").as_int64() == 500);
}

namespace {

// A legacy Power resource with three PowerControl members, the server's
// listed second: CPU and memory domain limits around it.
void three_power_controls(const BmcSim& sim, const char* exception) {
  auto member = [](const char* id, const char* context, int watts, const char* ex) {
    json::object m{{"MemberId", id},
                   {"Name", std::string(id) + " power control"},
                   {"PowerConsumedWatts", 300},
                   {"PowerLimit", json::object{{"LimitInWatts", watts}, {"LimitException", ex}}}};
    if (context) m["PhysicalContext"] = context;
    return m;
  };
  edit(sim, kDellPower, [&](json::object& p) {
    p["PowerControl"] = json::array{member("1", "CPUSubsystem", 300, "NoAction"),
                                    member("0", nullptr, 800, exception),
                                    member("2", "MemorySubsystem", 150, "LogEventOnly")};
  });
}

}  // namespace

TEST_CASE("power cap PowerControl array: only the server's member is written, the others intact",
          "[policy][power_cap]") {
  BmcSim sim({fixture_dir("redfish/dell")});
  three_power_controls(sim, "HardPowerOff");
  CapRig rig(sim);
  rig.settings.power_floor_watts = 900;
  rig.rediscover();
  auto o = rig.observe(ItemId::power_cap);
  CHECK(o.status == Status::drifted);
  CHECK(o.current == "800 W, LimitException HardPowerOff");
  INFO(o.detail);
  CHECK(has(o.detail, "LimitException HardPowerOff: the BMC powers the server off"));
  CHECK(has(o.detail,
            "not written, other PowerControl members: 1 (CPUSubsystem) 300 W, 2 "
            "(MemorySubsystem) 150 W"));

  const auto before = resource(sim, kDellPower).at("PowerControl").as_array();
  sim.reset_stats();
  auto outcome = rig.act(ItemId::power_cap);
  INFO(outcome.error);
  REQUIRE(outcome.ok);
  const auto w = writes(sim);
  REQUIRE(w.size() == 1);
  CHECK(text(w[0].at("path")) == kDellPower);
  CHECK(json::parse(text(w[0].at("body"))) ==
        json::parse(R"({"PowerControl":[{},{"PowerLimit":{"LimitInWatts":900,)"
                    R"("LimitException":"LogEventOnly"}},{}]})"));
  const auto after = resource(sim, kDellPower).at("PowerControl").as_array();
  REQUIRE(after.size() == 3);
  CHECK(after[0] == before[0]);
  CHECK(after[2] == before[2]);
  CHECK(after[1].at("PowerLimit").at("LimitInWatts").as_int64() == 900);
  CHECK(text(after[1].at("PowerLimit").at("LimitException")) == "LogEventOnly");
  CHECK(rig.observe(ItemId::power_cap).status == Status::compliant);
}

TEST_CASE("power cap: HardPowerOff on a high enough limit is its own finding",
          "[policy][power_cap]") {
  BmcSim sim({fixture_dir("redfish/dell")});
  three_power_controls(sim, "HardPowerOff");
  CapRig rig(sim);
  rig.settings.power_floor_watts = 700;  // 800 W is high enough
  rig.rediscover();
  auto o = rig.observe(ItemId::power_cap);
  CHECK(o.status == Status::drifted);
  CHECK(has(o.detail, "HardPowerOff"));
  CHECK_FALSE(has(o.detail, "floor_watts"));
  sim.reset_stats();
  REQUIRE(rig.act(ItemId::power_cap).ok);
  CHECK(
      json::parse(text(writes(sim)[0].at("body"))) ==
      json::parse(R"({"PowerControl":[{},{"PowerLimit":{"LimitException":"LogEventOnly"}},{}]})"));
  const auto server = resource(sim, kDellPower).at("PowerControl").as_array()[1];
  CHECK(server.at("PowerLimit").at("LimitInWatts").as_int64() == 800);  // the limit kept

  SECTION("a PowerControl member whose Status.State is Disabled caps nothing") {
    edit(sim, kDellPower, [](json::object& p) {
      p["PowerControl"].as_array()[1].as_object()["Status"] = json::object{{"State", "Disabled"}};
    });
    CHECK(rig.observe(ItemId::power_cap).status == Status::compliant);
  }
}

namespace {

// DellAttributes as on an iDRAC9: capping on, 700 W, thresholds 300..900 W.
void dell_capping(const BmcSim& sim) {
  const auto base = kIdrac + "/Oem/Dell/DellAttributes/";
  put(sim, base + "System.Embedded.1",
      json::object{{"@odata.id", base + "System.Embedded.1"},
                   {"Id", "SystemAttributes"},
                   {"Attributes", json::object{{"ServerPwr.1.PowerCapSetting", "Enabled"},
                                               {"ServerPwr.1.PowerCapValue", 700},
                                               {"ServerPwr.1.PowerCapMinThres", 300},
                                               {"ServerPwr.1.PowerCapMaxThres", 900}}}});
  edit(sim, kIdrac, [&](json::object& m) {
    m["Links"] = json::object{
        {"Oem",
         json::object{{"Dell", json::object{{"DellAttributes",
                                             json::array{json::object{
                                                 {"@odata.id", base + "System.Embedded.1"}}}}}}}}};
  });
  edit(sim, kDellPower, [](json::object& p) {
    p["PowerControl"].as_array()[0].as_object()["PowerLimit"] =
        json::object{{"LimitInWatts", 700}, {"LimitException", "NoAction"}};
  });
}

}  // namespace

TEST_CASE("power cap on Dell: 1300 W is never written where the thresholds end at 900 W",
          "[policy][power_cap][dell]") {
  BmcSim sim({fixture_dir("redfish/dell")});
  dell_capping(sim);
  CapRig rig(sim);
  rig.settings.power_floor_watts = 1300;
  rig.rediscover();
  REQUIRE(rig.discovery.profile);
  auto o = rig.observe(ItemId::power_cap);
  CHECK(o.status == Status::drifted);
  INFO(o.detail);
  CHECK(has(o.detail, "floor_watts 1300 W is above the range"));
  CHECK(has(o.detail, "300..900 W"));
  CHECK(has(o.detail, "the vendor's thresholds in " + kIdrac));
  sim.reset_stats();
  auto outcome = rig.act(ItemId::power_cap);
  CHECK_FALSE(outcome.ok);
  CHECK(sim.stat("writes") == 0);

  rig.settings.power_floor_watts = 850;  // within the thresholds: raised
  rig.rediscover();
  REQUIRE(rig.act(ItemId::power_cap).ok);
  CHECK(resource(sim, kDellPower)
            .at("PowerControl")
            .as_array()[0]
            .at("PowerLimit")
            .at("LimitInWatts")
            .as_int64() == 850);
}

TEST_CASE("power cap on a GPU server: the GPUs' limits are reported beside the server's",
          "[policy][power_cap]") {
  BmcSim sim({fixture_dir("redfish/hgx")});
  CapRig rig(sim);
  rig.settings.power_floor_watts = 5000;
  REQUIRE(rig.poll_counted(*rig.client)->device_limits.size() == 8);  // the collector's read
  rig.rediscover();
  auto o = rig.observe(ItemId::power_cap);
  CHECK(o.status == Status::compliant);
  CHECK(o.current == "10200 W");
  INFO(o.detail);
  CHECK(has(o.detail, "device limits, reported and never written: "));
  CHECK(has(o.detail, "HGX_GPU_SXM_1 (gpu) 700 W"));
  CHECK(has(o.detail, "HGX_GPU_SXM_8 (gpu) 700 W"));
}

TEST_CASE("watchdog over Redfish with min_timeout: never disabled, extended where possible",
          "[policy][watchdog]") {
  BmcSim sim({fixture_dir("redfish/dell")});
  edit(sim, kDellSystem, [](json::object& s) {
    s["HostWatchdogTimer"] = json::object{{"FunctionEnabled", true},
                                          {"TimeoutAction", "PowerCycle"},
                                          {"Status", {{"State", "Enabled"}}}};
  });
  CapRig rig(sim);
  rig.settings.watchdog_min_timeout = 1h;
  SECTION("no timeout property (the standard schema): unsupported, with the reason") {
    rig.rediscover();
    CHECK_FALSE(rig.discovery.backends.count(ItemId::watchdog));
    REQUIRE(rig.discovery.unsupported.count(ItemId::watchdog));
    const auto& why = rig.discovery.unsupported.at(ItemId::watchdog);
    CHECK(has(why, kDellSystem + " HostWatchdogTimer has no timeout property"));
    CHECK(has(why, "never disabled"));
  }
  SECTION("a timeout property: raised, FunctionEnabled and TimeoutAction untouched") {
    edit(sim, kDellSystem,
         [](json::object& s) { s["HostWatchdogTimer"].as_object()["TimeoutSeconds"] = 300; });
    rig.rediscover();
    auto o = rig.observe(ItemId::watchdog);
    CHECK(o.status == Status::drifted);
    CHECK(o.current == "on, timeout 300 s, action PowerCycle");
    REQUIRE(rig.act(ItemId::watchdog).ok);
    const auto timer = resource(sim, kDellSystem).at("HostWatchdogTimer");
    CHECK(timer.at("TimeoutSeconds").as_int64() == 3600);
    CHECK(timer.at("FunctionEnabled").as_bool());
    CHECK(text(timer.at("TimeoutAction")) == "PowerCycle");
    CHECK(rig.observe(ItemId::watchdog).status == Status::compliant);
  }
}

// --- IPMI (ipmi_sim), read back with ipmitool ---

namespace {

// The policy engine over the simulator's IPMI, one item enforced.
struct IpmiRig {
  IpmiSim& sim;
  TempDir state;
  boost::asio::io_context io;
  Metrics metrics;
  std::shared_ptr<bmc::Bmc> owner;
  std::shared_ptr<policy::Engine> engine;

  IpmiRig(IpmiSim& s, ItemId item, const std::function<void(policy::PolicySettings&)>& set)
      : sim(s) {
    owner = bmc::Bmc::create(io, nullptr, {.ipmi = sim.client_config()});
    owner->borrow();
    policy::PolicySettings settings;
    settings.modes.fill(policy::Mode::off);
    settings.set_mode(item, policy::Mode::enforce);
    set(settings);
    engine = std::make_shared<policy::Engine>(
        metrics, policy::Engine::Options{settings, state.path(), nullptr},
        policy::make_bmc_provider(owner, {state.path()}));
  }
  ~IpmiRig() { engine->detach(); }
  policy::ItemStatus pass(ItemId item) {
    bool done = false;
    engine->reconcile([&] { done = true; });
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!done && std::chrono::steady_clock::now() < until) {
      if (io.stopped()) io.restart();
      io.run_one_for(50ms);
    }
    REQUIRE(done);
    return engine->status().items[std::size_t(item)];
  }
  std::string tool(const std::string& args) const {
    auto r = run_command(sim.ipmitool(args));
    INFO(args << ": " << r.output);
    REQUIRE(r.exit_code == 0);
    return r.output;
  }
};

// ipmitool's "Name: value" line, value trimmed.
std::string field(const std::string& output, const std::string& name) {
  const auto at = output.find(name);
  if (at == std::string::npos) return "";
  auto begin = output.find(':', at) + 1;
  auto end = output.find('\n', begin);
  auto value = output.substr(begin, end - begin);
  value.erase(0, value.find_first_not_of(' '));
  return value.substr(0, value.find_last_not_of(" \r") + 1);
}

// What a host's watchdog service does: SMS/OS use, hard reset, 30 s, started.
void host_arms_watchdog(const IpmiRig& rig) {
  rig.tool("raw 0x06 0x24 0x04 0x01 0x00 0x00 0x2c 0x01");
  rig.tool("mc watchdog reset");
}

}  // namespace

TEST_CASE("watchdog over IPMI: min_timeout extends a running watchdog, action kept",
          "[policy][watchdog][ipmi_sim]") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim;
  REQUIRE(sim.start());
  IpmiRig rig(sim, ItemId::watchdog, [](auto& s) { s.watchdog_min_timeout = 600s; });
  host_arms_watchdog(rig);
  auto st = rig.pass(ItemId::watchdog);
  INFO(st.detail);
  CHECK(st.state == policy::ItemState::compliant);
  CHECK(st.drifts == 1);
  const auto got = rig.tool("mc watchdog get");
  INFO(got);
  CHECK(field(got, "Watchdog Timer Is") == "Started/Running");
  CHECK(has(field(got, "Watchdog Timer Action"), "Hard Reset"));
  CHECK(has(field(got, "Watchdog Timer Use"), "SMS/OS"));
  CHECK(field(got, "Initial Countdown") == "600.0 sec");
}

TEST_CASE("watchdog over IPMI: a host petting its watchdog ends up extended, never stopped",
          "[policy][watchdog][ipmi_sim]") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim;
  REQUIRE(sim.start());
  IpmiRig rig(sim, ItemId::watchdog, [](auto& s) {
    s.watchdog_min_timeout = 120s;
    s.flap_max_drifts = 2;  // a fix that did not hold would trip it within these passes
  });
  host_arms_watchdog(rig);
  std::atomic<bool> stop{false};
  std::atomic<int> pets{0};
  std::thread host([&] {  // the host's watchdog daemon: Reset Watchdog Timer every 200 ms
    while (!stop) {
      if (run_command(sim.ipmitool("mc watchdog reset")).exit_code == 0) ++pets;
      std::this_thread::sleep_for(200ms);
    }
  });
  policy::ItemStatus st;
  // At least 5 passes, and on until the host has petted more than 5 times (a
  // loaded machine makes each ipmitool call slow).
  for (int pass = 0; pass < 5 || (pets <= 5 && pass < 40); ++pass) {
    st = rig.pass(ItemId::watchdog);
    std::this_thread::sleep_for(300ms);
  }
  stop = true;
  host.join();
  INFO(st.detail);
  CHECK(pets > 5);
  CHECK(st.state == policy::ItemState::compliant);
  CHECK(st.drifts == 1);
  CHECK_FALSE(st.flapping);
  const auto got = rig.tool("mc watchdog get");
  INFO(got);
  CHECK(field(got, "Watchdog Timer Is") == "Started/Running");
  CHECK(has(field(got, "Watchdog Timer Action"), "Hard Reset"));
  CHECK(field(got, "Initial Countdown") == "120.0 sec");
}

TEST_CASE("watchdog over IPMI: min_timeout 0 stops it, keeping its use and action",
          "[policy][watchdog][ipmi_sim]") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim;
  REQUIRE(sim.start());
  IpmiRig rig(sim, ItemId::watchdog, [](auto& s) { s.watchdog_min_timeout = 0s; });
  host_arms_watchdog(rig);
  CHECK(rig.pass(ItemId::watchdog).state == policy::ItemState::compliant);
  const auto got = rig.tool("mc watchdog get");
  INFO(got);
  CHECK(field(got, "Watchdog Timer Is") == "Stopped");
  CHECK(has(field(got, "Watchdog Timer Action"), "Hard Reset"));
}

TEST_CASE("DCMI power limit: raised within range, HardPowerOff made log-only, 0x84 explained",
          "[policy][power_cap][ipmi_sim]") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim;  // the module allows 100..2000 W
  REQUIRE(sim.start());
  auto arm = [](const IpmiRig& rig) {
    // 500 W, hard power off, correction 2 s, sampling 10 s; activated.
    rig.tool(
        "raw 0x2c 0x04 0xdc 0x00 0x00 0x00 0x01 0xf4 0x01 0xd0 0x07 0x00 0x00 0x00 0x00 0x0a 0x00");
    rig.tool("raw 0x2c 0x05 0xdc 0x01 0x00 0x00");
  };
  SECTION("a floor inside the range") {
    IpmiRig rig(sim, ItemId::power_cap, [](auto& s) { s.power_floor_watts = 800; });
    arm(rig);
    auto st = rig.pass(ItemId::power_cap);
    INFO(st.detail);
    CHECK(st.state == policy::ItemState::compliant);
    const auto got = rig.tool("dcmi power get_limit");
    INFO(got);
    CHECK(has(got, "800 Watts"));
    CHECK(has(got, "Power Limit Active"));
    CHECK(has(field(got, "Exception actions"), "SEL"));
    CHECK_FALSE(has(field(got, "Exception actions"), "Hard Power Off"));
  }
  SECTION("a floor the BMC refuses: said so, the limit unchanged") {
    IpmiRig rig(sim, ItemId::power_cap, [](auto& s) { s.power_floor_watts = 2500; });
    arm(rig);
    auto st = rig.pass(ItemId::power_cap);
    INFO(st.detail);
    CHECK(st.state == policy::ItemState::drifted);
    CHECK(has(st.current, "exception action hard power off"));
    CHECK(st.failures == 1);
    CHECK(has(rig.tool("dcmi power get_limit"), "500 Watts"));
  }
  SECTION("a deactivated limit is compliant and stays deactivated") {
    IpmiRig rig(sim, ItemId::power_cap, [](auto& s) { s.power_floor_watts = 800; });
    arm(rig);
    rig.tool("raw 0x2c 0x05 0xdc 0x00 0x00 0x00");
    CHECK(rig.pass(ItemId::power_cap).state == policy::ItemState::compliant);
    CHECK(has(rig.tool("dcmi power get_limit"), "No Active Power Limit"));
  }
}
