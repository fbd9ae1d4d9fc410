#include "platform/watchdog_petters.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <regex>
#include <system_error>
#include <tuple>

#include "core/files.hpp"
#include "platform/proc_scan.hpp"

namespace bmcquiet {
namespace {

namespace fs = std::filesystem;

std::string first_line(const std::string& file) {
  auto text = read_small_file(file, 4096).value_or("");
  return text.substr(0, text.find('\n'));
}

std::optional<int> number_in(const std::string& file) {
  const auto text = first_line(file);
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc()) return std::nullopt;
  return value;
}

// Only reads attributes: opening a watchdog device would start its timer.
std::vector<WatchdogDevice> watchdog_devices(const std::string& sysfs) {
  std::vector<WatchdogDevice> devices;
  std::error_code ec;
  for (fs::directory_iterator it(sysfs + "/class/watchdog", ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto dir = it->path().string();
    WatchdogDevice d;
    d.name = it->path().filename().string();
    d.identity = first_line(dir + "/identity");
    if (const auto state = first_line(dir + "/state"); !state.empty()) d.active = state == "active";
    d.timeout_seconds = number_in(dir + "/timeout");
    devices.push_back(std::move(d));
  }
  std::sort(devices.begin(), devices.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return devices;
}

// "/dev/watchdog0" for a target under devfs that is a watchdog or IPMI device.
std::optional<std::string> petted_device(const std::string& target, const std::string& devfs) {
  static const std::regex kDevice(R"(watchdog[0-9]*|ipmi[0-9]+|ipmi/[0-9]+|ipmidev/[0-9]+)");
  if (target.size() <= devfs.size() + 1 || target.compare(0, devfs.size() + 1, devfs + "/") != 0)
    return std::nullopt;
  const auto name = target.substr(devfs.size() + 1);
  if (!std::regex_match(name, kDevice)) return std::nullopt;
  return "/dev/" + name;
}

struct RtTask {
  int pid = 0;
  int rank = 0;
  CpuSet allowed;
};

// Who wins a CPU: SCHED_DEADLINE over every FIFO/RR priority, those over the
// rest. A FIFO task of equal rank that never yields starves the other too.
int rank_of(int policy, int rt_priority) {
  if (policy == 6) return 100;
  return is_realtime(policy) ? rt_priority : 0;
}

// User-space real-time tasks (threads too: a workload's RT threads rarely
// include its main one). Kernel threads (migration/N, ...) run briefly by design.
void add_rt_tasks(int pid, const std::string& dir, std::vector<RtTask>& out) {
  for (const auto& task : task_dirs(dir)) {
    const auto sched = sched_info(task);
    if (!sched || sched->kernel_thread || !is_realtime(sched->policy)) continue;
    if (auto cpus = allowed_cpus(task))
      out.push_back({pid, rank_of(sched->policy, sched->rt_priority), std::move(*cpus)});
  }
}

WatchdogPetter describe(int pid, const std::string& dir, std::string device,
                        const CpuSet& isolated) {
  WatchdogPetter p;
  p.pid = pid;
  p.comm = process_comm(dir);
  p.device = std::move(device);
  p.found_by = "fd";
  if (const auto sched = sched_info(dir))
    p.policy = sched->policy, p.rt_priority = sched->rt_priority;
  for (const auto& task : task_dirs(dir))
    if (const auto cpus = allowed_cpus(task)) p.allowed.insert(cpus->begin(), cpus->end());
  if (p.allowed.empty())
    if (const auto cpus = allowed_cpus(dir)) p.allowed = *cpus;
  p.may_run_on_isolated =
      std::any_of(p.allowed.begin(), p.allowed.end(), [&](int c) { return isolated.count(c); });
  return p;
}

bool shares_cpu(const CpuSet& a, const CpuSet& b) {
  return std::any_of(a.begin(), a.end(), [&](int c) { return b.count(c) > 0; });
}

void add_systemd(const Paths& paths, const WatchdogScanOptions& o, WatchdogHostView& view) {
  if (!o.systemd.runtime_seconds || *o.systemd.runtime_seconds <= 0) return;
  if (std::any_of(view.petters.begin(), view.petters.end(),
                  [](const auto& p) { return p.pid == 1; }))
    return;  // its fds said so already
  const auto dir = paths.procfs + "/1";
  if (!fs::exists(dir)) return;
  auto p = describe(1, dir, o.systemd.device, o.isolated);
  p.found_by = "systemd";
  view.petters.push_back(std::move(p));
}

}  // namespace

WatchdogHostView scan_watchdog_host(const Paths& paths, const WatchdogScanOptions& options) {
  WatchdogHostView view;
  view.devices = watchdog_devices(paths.sysfs);
  std::vector<RtTask> rt_tasks;
  for_each_process(paths.procfs, [&](int pid, const std::string& dir) {
    add_rt_tasks(pid, dir, rt_tasks);
    if (pid == options.self_pid) return;
    bool refused = false;
    const auto targets = open_file_targets(dir, &refused);
    if (!targets) return void(view.unreadable += refused ? 1 : 0);
    std::vector<std::string> devices;
    for (const auto& t : *targets)
      if (auto d = petted_device(t, paths.devfs)) devices.push_back(std::move(*d));
    std::sort(devices.begin(), devices.end());
    devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
    for (auto& d : devices)
      view.petters.push_back(describe(pid, dir, std::move(d), options.isolated));
  });
  add_systemd(paths, options, view);
  std::error_code ec;
  view.complete = view.unreadable == 0 && fs::exists(paths.procfs + "/1", ec);
  for (auto& p : view.petters)
    p.behind_rt = std::any_of(rt_tasks.begin(), rt_tasks.end(), [&](const RtTask& t) {
      return t.pid != p.pid && t.rank >= std::max(1, rank_of(p.policy, p.rt_priority)) &&
             shares_cpu(t.allowed, p.allowed);
    });
  std::sort(view.petters.begin(), view.petters.end(), [](const auto& a, const auto& b) {
    return std::tie(a.device, a.pid) < std::tie(b.device, b.pid);
  });
  return view;
}

std::vector<const WatchdogPetter*> petters_of(const WatchdogHostView& view,
                                              const std::string& watchdog) {
  std::vector<std::string> devices;
  for (const auto& d : view.devices)
    if (watchdog == "bmc" ? d.is_ipmi() : d.name == watchdog) {
      devices.push_back("/dev/" + d.name);
      if (d.name == "watchdog0") devices.push_back("/dev/watchdog");  // the legacy alias
    }
  if (watchdog == "watchdog0" && devices.empty()) devices = {"/dev/watchdog0", "/dev/watchdog"};
  std::vector<const WatchdogPetter*> out;
  for (const auto& p : view.petters) {
    const bool ipmi = p.device.rfind("/dev/ipmi", 0) == 0;
    if ((watchdog == "bmc" && ipmi) ||
        std::find(devices.begin(), devices.end(), p.device) != devices.end())
      out.push_back(&p);
  }
  return out;
}

}  // namespace bmcquiet
