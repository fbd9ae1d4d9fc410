#include "core/notify.hpp"

#include <time.h>

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

namespace bmcquiet::notify {

void ready(std::string_view status) {
  sd_notify(0, fmt::format("READY=1\nSTATUS={}", status).c_str());
}

void reloading() {
  // MONOTONIC_USEC lets Type=notify-reload (systemd ≥ 253) match this to the reload.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                    static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
  sd_notify(0, fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec).c_str());
}

void stopping() { sd_notify(0, "STOPPING=1"); }

void status(std::string_view text) { sd_notify(0, fmt::format("STATUS={}", text).c_str()); }

void watchdog() { sd_notify(0, "WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace bmcquiet::notify
