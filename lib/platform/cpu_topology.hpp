// Which CPUs are online, which are isolated for the workload, and which are
// left for housekeeping (where bmcquiet may do its own work).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace bmcquiet {

using CpuSet = std::set<int>;

// The kernel's largest CPU id (CONFIG_NR_CPUS is at most 8192): a larger id in a
// cpulist is a typo or hostile input, and expanding it would allocate without bound.
inline constexpr int kMaxCpuId = 8191;

// Parses the kernel's cpulist format ("0-3,8,10-11"; empty or "\n" → empty).
// Returns nullopt on malformed input or an id above kMaxCpuId.
std::optional<CpuSet> parse_cpu_list(std::string_view text);
std::string format_cpu_list(const CpuSet& cpus);

// Operator overrides from the config's `cpus:` section; unset → from sysfs.
struct CpuSelection {
  std::optional<CpuSet> isolated;
  std::optional<CpuSet> housekeeping;
};

struct CpuRoles {
  CpuSet online;
  CpuSet isolated;      // isolcpus ∪ nohz_full, or the override
  CpuSet housekeeping;  // online − isolated, or the override
  std::string error;    // non-empty when sysfs could not be read
};

// Reads <sysfs>/devices/system/cpu/{online,isolated,nohz_full}.
CpuRoles resolve_cpu_roles(const std::string& sysfs, const CpuSelection& selection);

}  // namespace bmcquiet
