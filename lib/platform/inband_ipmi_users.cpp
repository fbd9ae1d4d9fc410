#include "platform/inband_ipmi_users.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>
#include <system_error>

#include "core/files.hpp"
#include "platform/proc_scan.hpp"

namespace bmcquiet {
namespace {

namespace fs = std::filesystem;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The IPMI devices this process's fds point at.
std::vector<std::string> ipmi_devices_open(const std::string& dir, const std::string& devfs) {
  std::set<std::string> found;
  const auto prefix = devfs + "/ipmi";
  for (auto& target : open_file_targets(dir).value_or(std::vector<std::string>{}))
    if (target.rfind(prefix, 0) == 0) found.insert(std::move(target));
  return {found.begin(), found.end()};
}

bool may_run_on(const std::string& dir, const CpuSet& isolated) {
  const auto cpus = allowed_cpus(dir);
  if (!cpus || isolated.empty()) return false;
  return std::any_of(cpus->begin(), cpus->end(), [&](int c) { return isolated.count(c) > 0; });
}

std::vector<fs::path> si_device_dirs(const std::string& sysfs) {
  std::set<fs::path> dirs;
  std::error_code ec;
  for (fs::directory_iterator it(sysfs + "/devices/platform", ec), end; !ec && it != end;
       it.increment(ec))
    if (it->path().filename().string().rfind("ipmi_si", 0) == 0) dirs.insert(it->path());
  // ACPI- and PCI-enumerated interfaces live elsewhere; the ipmi class links them.
  for (fs::directory_iterator it(sysfs + "/class/ipmi", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code real_ec;
    const auto device = fs::canonical(it->path() / "device", real_ec);
    if (!real_ec && fs::exists(device / "complete_transactions", real_ec)) dirs.insert(device);
  }
  return {dirs.begin(), dirs.end()};
}

std::optional<std::uint64_t> read_counter(const fs::path& file) {
  const auto text = read_small_file(file.string(), 4096);
  if (!text) return std::nullopt;
  std::uint64_t value = 0;
  const auto* first = text->data();
  auto [ptr, ec] = std::from_chars(first, first + text->size(), value);
  if (ec != std::errc() || ptr == first) return std::nullopt;
  return value;
}

void add_si_counters(const std::string& sysfs, InbandIpmiView& view) {
  for (const auto& dir : si_device_dirs(sysfs)) {
    bool any = false;
    for (const auto& name : ipmi_si_counter_names())
      if (auto v = read_counter(dir / name)) {
        view.si_counters[name] += *v;
        any = true;
      }
    if (!any) continue;
    ++view.si_interfaces;
    if (view.si_type.empty())
      view.si_type = trimmed(read_small_file((dir / "type").string(), 256).value_or(""));
  }
}

}  // namespace

const std::vector<std::string>& ipmi_si_counter_names() {
  // drivers/char/ipmi/ipmi_si_intf.c, the per-interface statistics.
  static const std::vector<std::string> names = {"complete_transactions",
                                                 "attempts",
                                                 "short_timeouts",
                                                 "long_timeouts",
                                                 "idles",
                                                 "interrupts",
                                                 "hosed",
                                                 "flag_fetches",
                                                 "events",
                                                 "incoming_messages",
                                                 "watchdog_pretimeouts"};
  return names;
}

InbandIpmiView scan_inband_ipmi(const Paths& paths, const CpuSet& isolated) {
  InbandIpmiView view;
  for_each_process(paths.procfs, [&](int pid, const std::string& dir) {
    auto devices = ipmi_devices_open(dir, paths.devfs);
    if (devices.empty()) return;
    InbandIpmiUser user;
    user.pid = pid;
    user.comm = process_comm(dir);
    user.devices = std::move(devices);
    user.may_run_on_isolated = may_run_on(dir, isolated);
    view.users.push_back(std::move(user));
  });
  std::sort(view.users.begin(), view.users.end(),
            [](const auto& a, const auto& b) { return a.pid < b.pid; });
  add_si_counters(paths.sysfs, view);
  return view;
}

}  // namespace bmcquiet
