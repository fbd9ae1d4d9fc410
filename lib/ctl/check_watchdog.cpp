#include "ctl/check_watchdog.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>

#include "ctl/check_thresholds.hpp"
#include "platform/proc_scan.hpp"
#include "service/setup.hpp"

namespace bmcquiet::ctl {
namespace {

namespace json = boost::json;

std::optional<bool> armed_from(const policy::ItemStatus& item) {
  if (item.state != policy::ItemState::compliant && item.state != policy::ItemState::drifted)
    return std::nullopt;
  // IPMI: "off" / "running, ..., action none"; Redfish: "off", "false" (the
  // FunctionEnabled property) or "on, ..., action <TimeoutAction>".
  // A vendor switch reads "Disabled"/"Enabled" (iDRAC). Only a running timer
  // whose action is known arms; anything else is unknown, never armed.
  std::string c = item.current;
  std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (c == "off" || c == "false" || c == "disabled") return false;
  if (c.rfind("on,", 0) != 0 && c.rfind("running", 0) != 0) return std::nullopt;
  return c.find("action none") == std::string::npos;
}

std::string describe(const WatchdogPetter& p) {
  return fmt::format("pid {} {} ({}; CPUs {}{}; {}{}{})", p.pid, p.comm, p.device,
                     format_cpu_list(p.allowed), p.may_run_on_isolated ? ", some isolated" : "",
                     sched_policy_name(p.policy),
                     p.rt_priority ? fmt::format(" {}", p.rt_priority) : "",
                     p.behind_rt ? ", behind a real-time task" : "");
}

// A kernel device that runs, and the BMC timer when armed: each resets the node.
std::vector<std::pair<std::string, std::string>> armed_watchdogs(const WatchdogCheck& w) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& d : w.view.devices)
    if (d.active.value_or(false))
      out.emplace_back(d.name, fmt::format("{} ({}, timeout {} s)", d.name, d.identity,
                                           d.timeout_seconds.value_or(0)));
  if (w.bmc_armed.value_or(false))
    out.emplace_back("bmc", fmt::format("the BMC's watchdog ({})", w.bmc_state));
  return out;
}

std::string fix(const WatchdogCheck& w) {
  return fmt::format(
      "confine it to housekeeping CPUs and give it a real-time priority above the workload's: "
      "in its unit CPUAffinity={} CPUSchedulingPolicy=fifo CPUSchedulingPriority=50 "
      "(systemd's own: CPUAffinity= in system.conf), or extend/stop the timer",
      w.housekeeping.empty() ? "<housekeeping CPUs>" : format_cpu_list(w.housekeeping));
}

}  // namespace

WatchdogCheck check_watchdog(const DaemonConfig& config,
                             const std::optional<policy::EngineStatus>& status) {
  WatchdogCheck w;
  const auto roles = resolve_cpu_roles(config.paths.sysfs, config.cpus);
  w.housekeeping = roles.housekeeping;
  w.systemd = read_systemd_watchdog();
  w.view = scan_watchdog_host(config.paths, {roles.isolated, int(::getpid()), w.systemd});
  if (status)
    for (const auto& i : status->items)
      if (i.id == policy::ItemId::watchdog) {
        w.bmc_armed = armed_from(i);
        w.bmc_state = i.current;
      }
  return w;
}

void judge_watchdog(const WatchdogCheck& w, Findings& findings) {
  const auto severity =
      severity_named(thresholds::kWatchdogAtRiskSeverity).value_or(Severity::unknown);
  for (const auto& [name, what] : armed_watchdogs(w)) {
    const auto petters = petters_of(w.view, name);
    const auto check = fmt::format("watchdog:{}", name);
    // A partial view (hidden processes) cannot prove that no safe petter exists.
    const auto found = w.view.complete ? severity : Severity::warning;
    if (petters.empty()) {
      findings.add(
          check, found,
          fmt::format("{} runs and resets the node, and no process holds its device "
                      "open{}: find its petter, or extend/stop the timer",
                      what, w.view.complete ? "" : " that this user may see (run as root)"));
      continue;
    }
    std::vector<std::string> listed;
    bool safe = false;
    for (const auto* p : petters) {
      listed.push_back(describe(*p));
      safe = safe || p->safe();
    }
    if (safe)
      findings.add(check, Severity::ok, fmt::format("{} petted from housekeeping CPUs", what));
    else
      findings.add(
          check, found,
          fmt::format("{} runs and resets the node, and no {}petter is safe from the "
                      "workload: {}; {}",
                      what, w.view.complete ? "" : "visible ", fmt::join(listed, "; "), fix(w)));
  }
  if (!w.bmc_armed) {
    const auto petters = petters_of(w.view, "bmc");
    const bool unsafe =
        std::any_of(petters.begin(), petters.end(), [](auto* p) { return !p->safe(); });
    if (unsafe)
      findings.add("watchdog:bmc", Severity::warning,
                   "a possible petter of the BMC's watchdog is not safely placed, and the "
                   "BMC's timer or its action was not read (the policy's watchdog item reads them: "
                   "collectors.policy.items.watchdog.mode report, over bmc.ipmi for the "
                   "action); " +
                       fix(w));
  }
}

std::string watchdog_text(const WatchdogCheck& w) {
  std::string out = fmt::format("Watchdog   BMC timer: {}; systemd RuntimeWatchdogSec: {}\n",
                                w.bmc_armed ? w.bmc_state : std::string("not read"),
                                !w.systemd.runtime_seconds        ? std::string("unknown")
                                : *w.systemd.runtime_seconds == 0 ? std::string("off")
                                : std::isinf(*w.systemd.runtime_seconds)
                                    ? std::string("the device's default")
                                    : fmt::format("{:g} s", *w.systemd.runtime_seconds));
  for (const auto& d : w.view.devices)
    out += fmt::format("           {} {}: {}, timeout {}\n", d.name, d.identity,
                       !d.active   ? "state unknown"
                       : *d.active ? "active"
                                   : "inactive",
                       d.timeout_seconds ? fmt::format("{} s", *d.timeout_seconds) : "?");
  for (const auto& p : w.view.petters)
    out += fmt::format("           petter {}{}\n", describe(p), p.safe() ? "" : " — not safe");
  if (w.view.petters.empty()) out += "           no process holds a watchdog or IPMI device open\n";
  if (!w.view.complete)
    out += fmt::format(
        "           partial view: other users' processes hidden or {} refused their open files "
        "(run as root)\n",
        w.view.unreadable);
  return out;
}

json::value watchdog_json(const WatchdogCheck& w) {
  json::array devices, petters;
  for (const auto& d : w.view.devices) {
    json::object o{{"name", d.name}, {"identity", d.identity}};
    if (d.active) o["active"] = *d.active;
    if (d.timeout_seconds) o["timeout_seconds"] = *d.timeout_seconds;
    devices.push_back(std::move(o));
  }
  for (const auto& p : w.view.petters)
    petters.push_back(json::object{{"pid", p.pid},
                                   {"comm", p.comm},
                                   {"device", p.device},
                                   {"found_by", p.found_by},
                                   {"cpus", format_cpu_list(p.allowed)},
                                   {"policy", sched_policy_name(p.policy)},
                                   {"rt_priority", p.rt_priority},
                                   {"may_run_on_isolated", p.may_run_on_isolated},
                                   {"behind_realtime", p.behind_rt},
                                   {"safe", p.safe()}});
  json::object out{{"complete", w.view.complete},
                   {"devices", std::move(devices)},
                   {"petters", std::move(petters)},
                   {"unreadable_processes", w.view.unreadable}};
  if (w.bmc_armed) out["bmc_armed"] = *w.bmc_armed, out["bmc_state"] = w.bmc_state;
  if (w.systemd.runtime_seconds && std::isfinite(*w.systemd.runtime_seconds))
    out["systemd_runtime_watchdog_seconds"] = *w.systemd.runtime_seconds;
  return out;
}

}  // namespace bmcquiet::ctl
