// The kernel's cpulist format (sysfs online/isolated/nohz_full and the
// config's cpus: keys): parsed, printed and parsed again to the same set.
#include "fuzz_common.hpp"
#include "platform/cpu_topology.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  auto cpus = bmcquiet::parse_cpu_list(bmcquiet::fuzz::text(data, size));
  if (!cpus) return 0;
  if (!cpus->empty() && (*cpus->begin() < 0 || *cpus->rbegin() > bmcquiet::kMaxCpuId))
    __builtin_trap();
  auto again = bmcquiet::parse_cpu_list(bmcquiet::format_cpu_list(*cpus));
  if (!again || *again != *cpus) __builtin_trap();
  return 0;
}
