// bmcsim: a simulated Redfish BMC for tests and benchmarks (see README.md).
// One thread, one io_context: all state below is touched only from the loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "latency_profile.hpp"
#include "store.hpp"

namespace bmcsim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string mockup;
  std::string bind = "127.0.0.1";
  unsigned short port = 0;
  unsigned short control_port = 0;
  std::string ready_file;  // "PORT CONTROL_PORT\n" is written here once listening
  bool tls = false;
  std::string cert, key;              // the BMC's certificate (signed by the test CA)
  std::string wrong_cert, wrong_key;  // served while the wrong_cert fault is active
  std::string user = "admin", password = "secret";
  std::chrono::seconds session_timeout{1800};
  std::chrono::milliseconds latency{0};
  // One request at a time across every connection, like a BMC's web server:
  // the next request's latency starts when the previous answer went out.
  bool serialize = false;
  std::string latency_profile;  // a capture README (latency_profile.hpp)
};

// An injected fault: applies to requests whose path contains `path`, `count`
// times (-1: until cleared).
struct Fault {
  std::string kind;  // status|timeout|reset|malformed|slow|huge|wrong_cert
  unsigned status = 503;
  std::string path;
  int count = -1;
  std::string location;  // with kind status: sent as Location (a redirect elsewhere)
  std::string method;    // only requests with this method ("PATCH"); "" = any
};

struct Counters {
  std::uint64_t connections = 0, tls_handshakes = 0, requests = 0, writes = 0, logins = 0,
                logins_failed = 0, logouts = 0, unauthorized = 0, in_flight = 0, in_flight_max = 0;
  // Serialised BMC: requests read but waiting for their turn, and how long.
  std::uint64_t queued = 0, queued_max = 0;
  std::chrono::milliseconds queue_wait_max{0}, queue_wait_total{0};
};

struct SessionState {
  std::string uri;
  Clock::time_point last_used;
};

class Sim {
 public:
  Sim(asio::io_context& io, Options options, Store store);
  void start();  // binds both listeners, writes the ready file

  asio::io_context& io;
  Options options;
  Store store;
  Counters counters;
  std::vector<WriteRecord> writes;
  std::vector<std::string> recent;  // the last 64 request lines, for debugging tests
  std::optional<Fault> fault;
  std::vector<std::pair<std::string, std::chrono::milliseconds>> path_latency;
  std::optional<LatencyProfile> profile;
  std::map<std::string, SessionState> sessions;  // token → session
  // false: GETs carry no ETag header, only the body's @odata.etag (many BMCs).
  bool etag_header = true;
  std::string session_location_prefix;  // put before the login's Location (a confused BMC)
  std::map<std::uint64_t, tcp::socket*> open_sockets;
  std::uint64_t next_id = 1;
  bool busy = false;  // a request holds the serialised BMC
  std::deque<std::shared_ptr<asio::steady_timer>> turn_waiters;  // cancelled = your turn

  // The fault for this request or handshake, consuming one of its count.
  std::optional<Fault> take_fault(const std::string& path, bool handshake,
                                  const std::string& method = "");
  // Control /latency fragments first, then the profile's exact path, then the default.
  std::chrono::milliseconds latency_for(const std::string& path) const;
  // Replaces the profile; its average becomes the default latency.
  bool load_latency_profile(const std::string& file, std::string* error);
  // The serialised BMC's single worker. acquire_turn() waits in FIFO order
  // (immediately when serialize is off) and says whether a turn was taken.
  asio::awaitable<bool> acquire_turn();
  void release_turn();
  void reboot();       // drops sessions and every open connection
  void reboot_soon();  // after the current response went out, as a real BMC does

  asio::ssl::context good_tls{asio::ssl::context::tls_server};
  asio::ssl::context wrong_tls{asio::ssl::context::tls_server};

 private:
  void accept_redfish();
  void accept_control();
  tcp::acceptor redfish_acceptor_;
  tcp::acceptor control_acceptor_;
};

// server.cpp: one Redfish connection; control.cpp: one control connection.
void spawn_redfish_connection(Sim& sim, tcp::socket socket);
void spawn_control_connection(Sim& sim, tcp::socket socket);
// The Redfish response for one authenticated-or-not request.
Reply handle_redfish(Sim& sim, const std::string& method, const std::string& target,
                     const std::string& body, const std::string& token,
                     const std::string& authorization, const std::string& if_match);

}  // namespace bmcsim
