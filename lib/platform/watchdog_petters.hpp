// What keeps this host's watchdogs alive. A watchdog (the BMC's host watchdog,
// or a kernel one behind /dev/watchdogN) resets the node when nobody pets it in
// time; the petter is a process holding the device open and writing to it
// (watchdog(8), FreeIPMI's bmc-watchdog, systemd's RuntimeWatchdogSec= in
// PID 1). A petter that may be scheduled on an isolated CPU, or that runs
// SCHED_OTHER where a real-time workload can take its CPU, can miss its
// deadline on a busy node: the article's "run the watchdog daemon on core 0
// with high priority", checked continuously.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/paths.hpp"
#include "platform/cpu_topology.hpp"

namespace bmcquiet {

// <sysfs>/class/watchdog/watchdogN.
struct WatchdogDevice {
  std::string name;            // "watchdog0"
  std::string identity;        // "IPMI", "iTCO_wdt", "i6300ESB timer"
  std::optional<bool> active;  // state: "active" / "inactive"
  std::optional<int> timeout_seconds;
  bool is_ipmi() const { return identity.find("IPMI") != std::string::npos; }
};

struct WatchdogPetter {
  int pid = 0;
  std::string comm;
  std::string device;    // "/dev/watchdog0", "/dev/ipmi0", named as under /dev whatever devfs is
  std::string found_by;  // "fd" (its open files), "systemd" (PID 1's RuntimeWatchdogUSec)
  int policy = 0;        // of the main thread (SchedInfo::policy)
  int rt_priority = 0;
  CpuSet allowed;                    // union over its threads' Cpus_allowed_list
  bool may_run_on_isolated = false;  // some thread may run on an isolated CPU
  // A user-space real-time task of at least its rank (SCHED_OTHER: any) may share its CPUs.
  bool behind_rt = false;
  // Confined to housekeeping CPUs and not starved by a real-time neighbour:
  // the placement the article asks for.
  bool safe() const { return !may_run_on_isolated && !behind_rt && !allowed.empty(); }
};

// systemd's own hardware watchdog (RuntimeWatchdogSec=): PID 1 opens and pets it.
struct SystemdWatchdog {
  std::optional<double> runtime_seconds;  // 0: off; nullopt: unknown
  std::string device = "/dev/watchdog0";  // WatchdogDevice=, as systemd names it
  std::string source;                     // "dbus", "system.conf" or "" when unknown
};

struct WatchdogHostView {
  std::vector<WatchdogDevice> devices;  // by name
  std::vector<WatchdogPetter> petters;  // by device, then pid
  int unreadable = 0;                   // processes whose open files this process may not read
  // Every process was seen with its open files. Not so under the shipped
  // unit's ProtectProc=invisible (or hidepid=): other users' processes, PID 1
  // included, are hidden; nor without CAP_SYS_PTRACE, when their fds are
  // refused. Then "no safe petter" may only mean "none visible": no verdict.
  bool complete = false;
};

struct WatchdogScanOptions {
  CpuSet isolated;
  int self_pid = 0;  // left out: bmcquiet's own /dev/ipmi0 reads pet nothing
  SystemdWatchdog systemd;
};

// Petters: holders of <devfs>/watchdog, <devfs>/watchdogN and the IPMI devices
// (<devfs>/ipmi0, ipmi/0, ipmidev/0: the kernel cannot say which of their users
// send Reset Watchdog Timer, so each counts as a possible BMC petter), and
// PID 1 when systemd's runtime watchdog is on but its fds are not readable.
WatchdogHostView scan_watchdog_host(const Paths& paths, const WatchdogScanOptions& options);

// The petters of one watchdog: "bmc" (IPMI device holders and holders of an
// IPMI-identity watchdogN) or a kernel device name ("watchdog0"; /dev/watchdog
// is the first device).
std::vector<const WatchdogPetter*> petters_of(const WatchdogHostView& view,
                                              const std::string& watchdog);

// systemd's runtime watchdog: the Manager's RuntimeWatchdogUSec and
// WatchdogDevice over the system bus (1 s timeout), else RuntimeWatchdogSec=
// from <etc_systemd>/system.conf and system.conf.d/*.conf (the last one set wins).
SystemdWatchdog read_systemd_watchdog(const std::string& etc_systemd = "/etc/systemd");
// The files only: what the bus fallback reads, for tests.
SystemdWatchdog systemd_watchdog_from_files(const std::string& etc_systemd);

}  // namespace bmcquiet
