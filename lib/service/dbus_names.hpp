// The D-Bus API of bmcquietd, shared by the service and bmcquietctl.
//
//   org.bmcquiet.Daemon1 at /org/bmcquiet/Daemon1, interface org.bmcquiet.Daemon1:
//     Status() -> s          JSON: BMC identity, profile, pause, every item (anyone)
//     Plan() -> s            JSON: what enforce would change now (anyone)
//     Apply() -> s           reconcile now, then Status (root)
//     Pause(t seconds, s reason)   maintenance pause; 0 = until Resume (root)
//     Resume()               end the pause (root)
//     Reload()               reload the configuration (root)
#pragma once

namespace bmcquiet::dbus {

inline constexpr const char* kService = "org.bmcquiet.Daemon1";
inline constexpr const char* kPath = "/org/bmcquiet/Daemon1";
inline constexpr const char* kInterface = "org.bmcquiet.Daemon1";
inline constexpr const char* kErrorFailed = "org.bmcquiet.Daemon1.Error.Failed";
inline constexpr const char* kErrorNoPolicy = "org.bmcquiet.Daemon1.Error.PolicyDisabled";
inline constexpr const char* kErrorConfig = "org.bmcquiet.Daemon1.Error.Config";

}  // namespace bmcquiet::dbus
