// A Redfish client test rig: an io_context, client options that log in to a
// BmcSim, and loops that run until a poll or a call answers. Also a listener
// that only counts connections: "another host" for links that must never be
// fetched.
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "redfish/client.hpp"
#include "support/bmcsim.hpp"

namespace bmcquiet::test {

struct RedfishRig {
  TempDir dir;
  boost::asio::io_context io;

  // Short timeouts and no back-off unless a test sets them; plain http needs
  // the explicit insecure opt-in.
  redfish::ClientOptions options(const BmcSim& sim, const TestPki* pki = nullptr,
                                 const std::string& password = "secret") {
    using namespace std::chrono_literals;
    redfish::ClientOptions o;
    o.url = sim.url();
    o.username = "admin";
    o.password_credential = "";
    o.password_file = dir.write("password", password);
    ::chmod(o.password_file.c_str(), 0600);
    if (pki) o.ca_file = pki->ca;
    o.insecure = pki == nullptr;
    o.request_timeout = 1500ms;
    o.poll_deadline = 4s;
    o.backoff_initial = 0ms;
    o.backoff_max = 0ms;
    return o;
  }

  // Runs the loop until done() is true (at most `limit`); false when it never was.
  bool wait_until(const std::function<bool()>& done,
                  std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < until)
      io.run_one_for(std::chrono::milliseconds(20));
    return done();
  }
  // The same, and the test fails when done() never became true.
  void run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    REQUIRE(wait_until(done, limit));
  }

  // Runs the loop (background work such as log counts goes on) for a while.
  void idle(std::chrono::milliseconds d) {
    wait_until([] { return false; }, d);
  }
  void run_for(std::chrono::milliseconds d) { idle(d); }

  std::shared_ptr<const redfish::Snapshot> poll(redfish::Client& c) {
    std::shared_ptr<const redfish::Snapshot> out;
    c.poll([&](std::shared_ptr<const redfish::Snapshot> s) { out = std::move(s); });
    run_until([&] { return out != nullptr; });
    return out;
  }

  // Log entries are counted apart from the polls (after one, on
  // log_interval): a later poll carries the counts.
  std::shared_ptr<const redfish::Snapshot> poll_counted(redfish::Client& c) {
    auto counted = [](const redfish::Snapshot& s) {
      return std::all_of(s.logs.begin(), s.logs.end(), [](auto& l) { return l.entries; });
    };
    auto s = poll(c);
    for (int i = 0; i < 20 && !(s->up && counted(*s)); ++i) s = poll(c);
    return s;
  }

  redfish::HttpResponse call(const std::function<void(redfish::ResponseHandler)>& start) {
    std::optional<redfish::HttpResponse> out;
    start([&](redfish::HttpResponse r) { out = std::move(r); });
    run_until([&] { return out.has_value(); });
    return *out;
  }

  void shutdown(redfish::Client& c) {
    bool done = false;
    c.shutdown([&] { done = true; });
    run_until([&] { return done; });
  }
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

// ../shared/redfish-mockups (real BMC captures), or nullopt with a WARN.
inline std::optional<std::filesystem::path> shared_mockups() {
  const auto root =
      std::filesystem::path(BMCQUIET_SOURCE_DIR) / ".." / "shared" / "redfish-mockups";
  if (std::filesystem::is_directory(root)) return root;
  WARN("skipped: " << root.string() << " is absent (real BMC captures, optional)");
  return std::nullopt;
}

}  // namespace bmcquiet::test
