// bmcquietctl's tables of the daemon's status and plan (JSON over D-Bus,
// from whatever daemon version answers; its pause times come from a file an
// operator may edit): any text gives a table or "not a status", never an
// exception or a time_t conversion out of range.
#include "ctl/policy_table.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  const std::string text(bmcquiet::fuzz::text(data, size));
  (void)bmcquiet::ctl::render_status(text);
  (void)bmcquiet::ctl::render_plan(text);
  return 0;
}
