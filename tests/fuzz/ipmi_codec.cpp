// One IPMI answer, as a BMC (in-band driver or lanplus) may return it,
// through every response parser of the codec: the first byte is the
// completion code, the rest the data.
#include "fuzz_common.hpp"
#include "ipmi/codec.hpp"

using namespace bmcquiet::ipmi;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  if (size == 0) return 0;
  Response r;
  r.cc = data[0];
  r.data.assign(data + 1, data + size);
  (void)codec::parse_device_id(r);
  (void)codec::parse_dcmi_capabilities(r);
  (void)codec::parse_power_reading(r);
  (void)codec::parse_power_limit(r);
  (void)codec::parse_dcmi_ack(r);
  (void)codec::parse_watchdog(r);
  (void)codec::parse_sol_enabled(r);
  (void)codec::parse_sel_info(r);
  (void)codec::parse_sel_reservation(r);
  (void)codec::parse_sel_entry(r);
  (void)codec::parse_clear_sel(r);
  (void)codec::parse_empty(r);
  (void)describe_cc(r.cc);
  return 0;
}
