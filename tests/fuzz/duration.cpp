// Durations as the config and bmcquietctl pause take them ("250ms", "2d"):
// no overflow, no float->int UB, never negative.
#include "core/config_section.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  auto d = bmcquiet::parse_duration(bmcquiet::fuzz::text(data, size));
  if (d && d->count() < 0) __builtin_trap();
  return 0;
}
