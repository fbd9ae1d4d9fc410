#include "platform/rt_throttle.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "core/files.hpp"

namespace bmcquiet {
namespace {

std::optional<long long> read_number(const std::string& path) {
  auto text = read_small_file(path);
  if (!text) return std::nullopt;
  long long value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<RtThrottle> read_rt_throttle(const std::string& procfs) {
  auto runtime = read_number(procfs + "/sys/kernel/sched_rt_runtime_us");
  auto period = read_number(procfs + "/sys/kernel/sched_rt_period_us");
  if (!runtime || !period || *period <= 0) return std::nullopt;
  return RtThrottle{std::chrono::microseconds(*runtime), std::chrono::microseconds(*period)};
}

std::chrono::nanoseconds max_busy_in_window(std::chrono::nanoseconds burst,
                                            std::chrono::nanoseconds min_idle,
                                            std::chrono::nanoseconds window) {
  // Densest packing: burst, idle, burst, ... starting with a burst.
  const auto cycle = burst + min_idle;
  if (cycle.count() <= 0) return window;
  const auto full = window / cycle;
  return full * burst + std::min(burst, window % cycle);
}

std::string check_rt_budget(const RtThrottle& throttle, std::chrono::nanoseconds burst,
                            std::chrono::nanoseconds min_idle) {
  if (throttle.runtime.count() < 0) return {};
  const auto busy = max_busy_in_window(burst, min_idle, throttle.period);
  const auto budget = throttle.runtime * 9 / 10;
  if (busy <= budget) return {};
  return fmt::format(
      "bursts of {} us with at least {} us idle can take {} us of every {} us RT period, above "
      "90% of sched_rt_runtime_us ({} us): RT throttling would cut them; use shorter bursts or "
      "longer idle time",
      burst.count() / 1000, min_idle.count() / 1000, busy.count() / 1000, throttle.period.count(),
      throttle.runtime.count());
}

}  // namespace bmcquiet
