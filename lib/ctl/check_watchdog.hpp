// `bmcquietctl check`'s watchdog lines: who pets the node's watchdogs and
// whether a running one that resets the node has a petter safely placed
// (platform/watchdog_petters.hpp; the collector exports the same verdict).
#pragma once

#include <boost/json/fwd.hpp>
#include <optional>
#include <string>

#include "ctl/check_findings.hpp"
#include "platform/watchdog_petters.hpp"
#include "policy/engine.hpp"

namespace bmcquiet {
struct DaemonConfig;
}

namespace bmcquiet::ctl {

struct WatchdogCheck {
  WatchdogHostView view;
  CpuSet housekeeping;
  SystemdWatchdog systemd;
  // The BMC's timer as the policy's watchdog item read it: running with an
  // action other than none. nullopt when the item was not read.
  std::optional<bool> bmc_armed;
  std::string bmc_state;  // the item's reading, e.g. "running, timeout 30.0 s, action hard reset"
};

// The policy pass's reading of the watchdog item, if it made one.
WatchdogCheck check_watchdog(const DaemonConfig& config,
                             const std::optional<policy::EngineStatus>& status);
void judge_watchdog(const WatchdogCheck& w, Findings& findings);
std::string watchdog_text(const WatchdogCheck& w);
boost::json::value watchdog_json(const WatchdogCheck& w);

}  // namespace bmcquiet::ctl
