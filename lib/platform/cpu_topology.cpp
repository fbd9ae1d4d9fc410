#include "platform/cpu_topology.hpp"

#include <charconv>

#include <fmt/format.h>

#include "core/files.hpp"

namespace bmcquiet {
namespace {

std::optional<int> to_int(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<CpuSet> parse_cpu_list(std::string_view text) {
  CpuSet out;
  text = trim(text);
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto dash = item.find('-');
    auto first = to_int(item.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : to_int(item.substr(dash + 1));
    if (!first || !last || *last < *first || *last > kMaxCpuId) return std::nullopt;
    for (int cpu = *first; cpu <= *last; ++cpu) out.insert(cpu);
  }
  return out;
}

std::string format_cpu_list(const CpuSet& cpus) {
  std::string out;
  for (auto it = cpus.begin(); it != cpus.end();) {
    int first = *it, last = *it;
    while (++it != cpus.end() && *it == last + 1) last = *it;
    if (!out.empty()) out += ',';
    out += first == last ? fmt::format("{}", first) : fmt::format("{}-{}", first, last);
  }
  return out;
}

CpuRoles resolve_cpu_roles(const std::string& sysfs, const CpuSelection& selection) {
  CpuRoles roles;
  const std::string dir = sysfs + "/devices/system/cpu/";
  auto online_text = read_small_file(dir + "online");
  auto online = online_text ? parse_cpu_list(*online_text) : std::nullopt;
  if (!online) {
    roles.error =
        fmt::format("cannot read the online CPU list from {}online; check --path.sysfs", dir);
    return roles;
  }
  roles.online = *online;
  if (selection.isolated) {
    roles.isolated = *selection.isolated;
  } else {
    // Either file may be absent on older kernels or without the boot parameter.
    for (const char* name : {"isolated", "nohz_full"}) {
      auto text = read_small_file(dir + name);
      if (auto set = text ? parse_cpu_list(*text) : std::nullopt) roles.isolated.merge(*set);
    }
  }
  if (selection.housekeeping) {
    roles.housekeeping = *selection.housekeeping;
  } else {
    for (int cpu : roles.online)
      if (!roles.isolated.count(cpu)) roles.housekeeping.insert(cpu);
  }
  return roles;
}

}  // namespace bmcquiet
