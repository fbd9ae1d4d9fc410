// The daemon's D-Bus server (org.bmcquiet.Daemon1 on the system bus; the
// client is ctl/dbus_client.cpp). It outlives setups: reload swaps collectors,
// not the server. The daemon starts it once after the first setup and drops
// it on shutdown.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace bmcquiet {
namespace policy {
struct ActiveEngine;
}

struct DbusServerHooks {
  // Reloads the configuration; "" on success, else why it was rejected.
  std::function<std::string()> reload;
  // The running policy engine, if any (the daemon's, shared with the policy
  // collector of each setup). Null: the policy methods answer NoPolicy.
  std::shared_ptr<policy::ActiveEngine> policy;
};

class DbusServer {
 public:
  virtual ~DbusServer() = default;
};

// Never null. When the bus cannot be reached or the name is taken, it logs one
// warning and the daemon runs on without remote control.
std::unique_ptr<DbusServer> start_dbus_server(boost::asio::io_context& io, DbusServerHooks hooks);

}  // namespace bmcquiet
