// bmcquietctl status|plan|apply|pause|resume|reload: a running bmcquietd's
// policy over D-Bus (org.bmcquiet.Daemon1 on the system bus, or the bus in
// DBUS_SYSTEM_BUS_ADDRESS).
#pragma once

#include <span>
#include <string>

namespace bmcquiet::ctl {

int run_status(std::span<const std::string> args);
int run_plan(std::span<const std::string> args);
int run_apply(std::span<const std::string> args);
int run_pause(std::span<const std::string> args);
int run_resume(std::span<const std::string> args);
int run_reload(std::span<const std::string> args);

}  // namespace bmcquiet::ctl
