// `bmcquietctl check`'s watchdog verdict: from the BMC timer as the policy's
// watchdog item read it and the petters the host scan found.
#include <catch2/catch.hpp>

#include "ctl/check_thresholds.hpp"
#include "ctl/check_watchdog.hpp"
#include "service/setup.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace bmcquiet::ctl;

namespace {

WatchdogPetter petter(const std::string& device, bool isolated, bool behind_rt) {
  WatchdogPetter p;
  p.pid = 4242;
  p.comm = "bmc-watchdog";
  p.device = device;
  p.allowed = isolated ? CpuSet{0, 1} : CpuSet{0};
  p.may_run_on_isolated = isolated;
  p.behind_rt = behind_rt;
  return p;
}

// The policy pass's reading of the watchdog item over a fake host with no processes.
WatchdogCheck read_with(const std::string& current, policy::ItemState state,
                        const test::TempDir& root) {
  DaemonConfig config;
  config.paths = {root.path() + "/proc", root.path() + "/sys", root.path() + "/dev", "/tmp"};
  policy::EngineStatus status;
  policy::ItemStatus item;
  item.id = policy::ItemId::watchdog;
  item.state = state;
  item.current = current;
  status.items.push_back(item);
  return check_watchdog(config, status);
}

}  // namespace

TEST_CASE("check: the BMC timer's state comes from the policy's watchdog item") {
  test::TempDir root;
  root.write("sys/devices/system/cpu/online", "0-1\n");
  root.write("sys/devices/system/cpu/isolated", "1\n");
  root.write("proc/.keep", "");
  using policy::ItemState;
  CHECK(
      read_with("running, timeout 30.0 s, action hard reset", ItemState::drifted, root).bmc_armed ==
      true);
  CHECK(read_with("running, timeout 30.0 s, action none", ItemState::compliant, root).bmc_armed ==
        false);
  CHECK(read_with("off", ItemState::compliant, root).bmc_armed == false);
  CHECK(read_with("false", ItemState::compliant, root).bmc_armed ==
        false);  // Redfish FunctionEnabled
  // FunctionEnabled true without the action (the standard property): unknown, never CRITICAL.
  CHECK_FALSE(read_with("true", ItemState::drifted, root).bmc_armed);
  CHECK(read_with("on, timeout 600 s, action PowerCycle", ItemState::compliant, root).bmc_armed ==
        true);
  CHECK_FALSE(read_with("", ItemState::error, root).bmc_armed);
  // A vendor switch's own words (iDRAC's watchdog attribute): Disabled is off,
  // Enabled says nothing of the action: unknown, never armed.
  CHECK(read_with("disabled", ItemState::compliant, root).bmc_armed == false);
  CHECK(read_with("Disabled", ItemState::compliant, root).bmc_armed == false);
  CHECK_FALSE(read_with("Enabled", ItemState::drifted, root).bmc_armed);
  const auto w = read_with("off", ItemState::compliant, root);
  CHECK(w.housekeeping == CpuSet{0});
  CHECK(w.view.petters.empty());
}

TEST_CASE("check: an armed BMC watchdog needs a petter on housekeeping CPUs, not behind RT") {
  const auto severity = severity_named(thresholds::kWatchdogAtRiskSeverity);
  REQUIRE(severity);
  WatchdogCheck w;
  w.view.complete = true;
  w.housekeeping = {0};
  w.bmc_armed = true;
  w.bmc_state = "running, timeout 30.0 s, action hard reset";

  Findings none;
  judge_watchdog(w, none);
  CHECK(none.worst() == *severity);
  CHECK(none.text().find("no process holds its device open") != std::string::npos);

  w.view.petters = {petter("/dev/ipmi0", true, false)};
  Findings isolated;
  judge_watchdog(w, isolated);
  CHECK(isolated.worst() == *severity);
  CHECK(isolated.text().find("CPUAffinity=0") != std::string::npos);
  CHECK(isolated.text().find("some isolated") != std::string::npos);

  w.view.petters = {petter("/dev/ipmi0", false, true)};
  Findings behind;
  judge_watchdog(w, behind);
  CHECK(behind.worst() == *severity);
  CHECK(behind.text().find("behind a real-time task") != std::string::npos);

  w.view.petters.push_back(petter("/dev/ipmi/0", false, false));
  Findings safe;
  judge_watchdog(w, safe);
  CHECK(safe.worst() == Severity::ok);

  // Stopped: nothing to pet, nothing to warn about.
  w.bmc_armed = false;
  w.view.petters = {petter("/dev/ipmi0", true, false)};
  Findings stopped;
  judge_watchdog(w, stopped);
  CHECK(stopped.worst() == Severity::ok);
  // Not read: an unsafe possible petter is a warning, with what to configure.
  w.bmc_armed.reset();
  Findings unread;
  judge_watchdog(w, unread);
  CHECK(unread.worst() == Severity::warning);
  CHECK(unread.text().find("was not read") != std::string::npos);
}

TEST_CASE("check: an active kernel watchdog is judged by its own device's petters") {
  WatchdogCheck w;
  w.view.complete = true;
  w.housekeeping = {0};
  w.view.devices = {{"watchdog0", "iTCO_wdt", true, 30}, {"watchdog1", "IPMI", false, 60}};
  w.view.petters = {petter("/dev/watchdog1", false, false), petter("/dev/watchdog", true, false)};
  Findings f;
  judge_watchdog(w, f);
  // /dev/watchdog is watchdog0's alias: its only petter may run on CPU 1.
  CHECK(f.worst() == severity_named(thresholds::kWatchdogAtRiskSeverity));
  CHECK(f.text().find("watchdog:watchdog0") != std::string::npos);
  CHECK(f.text().find("watchdog1") == std::string::npos);
  // Other users' processes hidden: the one unsafe petter seen is no proof.
  w.view.complete = false;
  Findings partial;
  judge_watchdog(w, partial);
  CHECK(partial.worst() == Severity::warning);
  CHECK(partial.text().find("no visible petter") != std::string::npos);
}
