// The daemon's long-lived control endpoint (org.bmcquiet.Daemon1 on the system
// bus). It outlives plans: reload swaps collectors, not the service. The
// daemon starts it once after the first plan and drops it on shutdown.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace bmcquiet {

struct DbusServerHooks {
  // Reloads the configuration; "" on success, else why it was rejected.
  std::function<std::string()> reload;
};

class DbusServer {
 public:
  virtual ~DbusServer() = default;
};

// Never null. When the bus cannot be reached or the name is taken, it logs one
// warning and the daemon runs on without remote control.
std::unique_ptr<DbusServer> start_dbus_server(boost::asio::io_context& io, DbusServerHooks hooks);

}  // namespace bmcquiet
