// The kernel's RT throttling (sched_rt_runtime_us of every sched_rt_period_us):
// a SCHED_FIFO task that would run longer than the budget gets cut off for the
// rest of the period, which shows up as a ~50 ms gap that nobody caused.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace bmcquiet {

struct RtThrottle {
  std::chrono::microseconds runtime{-1};  // -1: throttling disabled
  std::chrono::microseconds period{0};
};

// Reads <procfs>/sys/kernel/sched_rt_{runtime,period}_us; nullopt when unreadable.
std::optional<RtThrottle> read_rt_throttle(const std::string& procfs);

// Most CPU time that bursts of `burst` separated by at least `min_idle` can
// take inside any interval of length `window`.
std::chrono::nanoseconds max_busy_in_window(std::chrono::nanoseconds burst,
                                            std::chrono::nanoseconds min_idle,
                                            std::chrono::nanoseconds window);

// Empty when such bursts stay inside the RT budget with a 10 % margin (other
// RT tasks share it); otherwise says by how much they would not.
std::string check_rt_budget(const RtThrottle& throttle, std::chrono::nanoseconds burst,
                            std::chrono::nanoseconds min_idle);

}  // namespace bmcquiet
