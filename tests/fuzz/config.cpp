// The daemon's config file (YAML) through the same loader a start or a
// SIGHUP reload runs: every section, every collector's keys, the BMC's
// transports; the plan is built but nothing is started. Any text gives
// either a plan or diagnostics, never a crash.
#include <boost/asio/io_context.hpp>

#include "core/config_section.hpp"
#include "fuzz_common.hpp"
#include "metrics/metrics.hpp"
#include "service/setup.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  boost::asio::io_context io;
  bmcquiet::Metrics metrics;
  auto result = bmcquiet::build_setup_from_text(bmcquiet::fuzz::text(data, size), "fuzz.yaml", {},
                                                io, metrics);
  if (result.setup.has_value() != result.diagnostics->ok()) __builtin_trap();
  (void)result.diagnostics->summary();
  return 0;
}
