// /proc/interrupts as any kernel (or a container's bind mount) may show it.
#include "platform/proc_interrupts.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  std::string error;
  auto table = bmcquiet::parse_proc_interrupts(bmcquiet::fuzz::text(data, size), &error);
  if (!table) return 0;
  for (const auto& row : table->rows) {
    if (row.counts.size() > table->cpus.size()) __builtin_trap();  // one count per CPU at most
    (void)bmcquiet::to_string(bmcquiet::classify_interrupt(row));
  }
  return 0;
}
