// systemd's notify protocol (sd_notify). Every call is a no-op outside systemd.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace bmcquiet::notify {

void ready(std::string_view status);
void reloading();
void stopping();
void status(std::string_view status);
void watchdog();
// The interval at which to send WATCHDOG=1 (half of WatchdogSec), if enabled.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace bmcquiet::notify
