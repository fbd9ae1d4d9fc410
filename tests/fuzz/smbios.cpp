// A raw SMBIOS structure table (/sys/firmware/dmi/tables/DMI) through the
// type 42 Redfish Host Interface parser.
#include "platform/smbios.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  auto r = bmcquiet::parse_redfish_host_interface(bmcquiet::fuzz::text(data, size), "DMI");
  // A result is either found or an error, never both.
  if (r.found && !r.error.empty()) __builtin_trap();
  return 0;
}
