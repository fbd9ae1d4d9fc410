// Walking <procfs> for other processes: which files they hold open, where
// their threads may run and how they are scheduled. Shared by the views of
// who uses the BMC in-band (inband_ipmi_users) and who pets a watchdog
// (watchdog_petters).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "platform/cpu_topology.hpp"

namespace bmcquiet {

// Calls fn(pid, "<procfs>/<pid>") for every numeric entry of procfs.
void for_each_process(const std::string& procfs,
                      const std::function<void(int pid, const std::string& dir)>& fn);

// The targets of <dir>/fd/* symlinks; nullopt when the fd directory cannot be
// read. refused (when given) says whether that was a permission denial
// (another user's process without CAP_SYS_PTRACE) rather than its end.
std::optional<std::vector<std::string>> open_file_targets(const std::string& process_dir,
                                                          bool* refused = nullptr);

// <dir>/comm without its newline, "?" when unreadable.
std::string process_comm(const std::string& dir);

// Cpus_allowed_list of a process or task directory's status file.
std::optional<CpuSet> allowed_cpus(const std::string& dir);

// From <dir>/stat (proc(5) fields 9, 19, 40, 41).
struct SchedInfo {
  int policy = 0;       // SCHED_OTHER 0, FIFO 1, RR 2, BATCH 3, IDLE 5, DEADLINE 6
  int rt_priority = 0;  // 1-99 for FIFO/RR, else 0
  int nice = 0;
  bool kernel_thread = false;  // PF_KTHREAD
};
std::optional<SchedInfo> sched_info(const std::string& dir);

// "SCHED_OTHER", "SCHED_FIFO", ...; "SCHED_<n>" for one this build does not know.
std::string sched_policy_name(int policy);
inline bool is_realtime(int policy) { return policy == 1 || policy == 2 || policy == 6; }

// Every task directory of a process ("<dir>/task/<tid>").
std::vector<std::string> task_dirs(const std::string& process_dir);

}  // namespace bmcquiet
