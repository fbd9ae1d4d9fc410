// A Redfish client under test against bmcsim: options with a private
// password file, the io_context the client runs on, and ways to wait for it.
// Also a listener that only counts connections: "another host" for links
// that must never be fetched.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "redfish/client.hpp"
#include "support/bmcsim.hpp"

namespace bmcquiet::test {

struct RedfishRig {
  TempDir dir;
  boost::asio::io_context io;

  // Plain http needs insecure: true; timeouts short enough for tests.
  redfish::ClientOptions options(const BmcSim& sim, const std::string& password = "secret");

  // Runs the loop until done() (at most `limit`); false when it never was.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(30));
  void run_for(std::chrono::milliseconds how_long);
  redfish::Response call(const std::function<void(redfish::ResponseHandler)>& start);
};

// A plain TCP listener on 127.0.0.1 that accepts, counts and closes. Its own
// thread, so a connection is counted even while the test's loop is idle.
class ConnectionCounter {
 public:
  ConnectionCounter();
  ~ConnectionCounter();
  ConnectionCounter(const ConnectionCounter&) = delete;
  ConnectionCounter& operator=(const ConnectionCounter&) = delete;
  std::string url() const;  // http://127.0.0.1:PORT
  int connections() const { return connections_; }
  // Connects once, as a client would: proves connections() can count.
  void poke() const;

 private:
  void run();
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

}  // namespace bmcquiet::test
