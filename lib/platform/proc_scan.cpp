#include "platform/proc_scan.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "core/files.hpp"

namespace bmcquiet {
namespace {

namespace fs = std::filesystem;

std::optional<int> whole_number(const std::string& s) {
  int value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

void for_each_process(const std::string& procfs,
                      const std::function<void(int pid, const std::string& dir)>& fn) {
  std::error_code ec;
  for (fs::directory_iterator it(procfs, ec), end; !ec && it != end; it.increment(ec))
    if (auto pid = whole_number(it->path().filename().string())) fn(*pid, it->path().string());
}

std::optional<std::vector<std::string>> open_file_targets(const std::string& process_dir,
                                                          bool* refused) {
  std::vector<std::string> targets;
  std::error_code ec;
  fs::directory_iterator it(process_dir + "/fd", ec);
  if (refused) *refused = ec == std::errc::permission_denied;
  if (ec) return std::nullopt;
  for (fs::directory_iterator end; !ec && it != end; it.increment(ec)) {
    std::error_code link_ec;
    auto target = fs::read_symlink(it->path(), link_ec).string();
    if (!link_ec) targets.push_back(std::move(target));
  }
  return targets;
}

std::string process_comm(const std::string& dir) {
  auto comm = read_small_file(dir + "/comm", 256).value_or("?");
  while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' ')) comm.pop_back();
  return comm;
}

std::optional<CpuSet> allowed_cpus(const std::string& dir) {
  const auto status = read_small_file(dir + "/status", 64 * 1024);
  if (!status) return std::nullopt;
  const std::string key = "Cpus_allowed_list:";
  const auto at = status->find(key);
  if (at == std::string::npos) return std::nullopt;
  const auto end = status->find('\n', at);
  auto list = status->substr(at + key.size(), end - at - key.size());
  list.erase(0, list.find_first_not_of(" \t"));
  return parse_cpu_list(list);
}

std::optional<SchedInfo> sched_info(const std::string& dir) {
  const auto stat = read_small_file(dir + "/stat", 4096);
  if (!stat) return std::nullopt;
  // comm (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat->substr(close + 1));
  std::vector<std::string> fields;  // fields[0] is proc(5) field 3
  for (std::string f; in >> f;) fields.push_back(std::move(f));
  if (fields.size() < 39) return std::nullopt;
  const auto flags = std::strtoul(fields[6].c_str(), nullptr, 10);
  const auto nice = whole_number(fields[16]);
  const auto rt_priority = whole_number(fields[37]);
  const auto policy = whole_number(fields[38]);
  if (!nice || !rt_priority || !policy) return std::nullopt;
  return SchedInfo{*policy, *rt_priority, *nice, (flags & 0x00200000u) != 0};
}

std::string sched_policy_name(int policy) {
  constexpr const char* kNames[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",      "SCHED_BATCH",
                                    "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE"};
  return policy >= 0 && policy < 7 ? kNames[policy] : fmt::format("SCHED_{}", policy);
}

std::vector<std::string> task_dirs(const std::string& process_dir) {
  std::vector<std::string> dirs;
  for_each_process(process_dir + "/task",
                   [&](int, const std::string& dir) { dirs.push_back(dir); });
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

}  // namespace bmcquiet
