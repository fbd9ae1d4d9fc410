// One Redfish client per BMC, owned by lib/bmc (bmc::Bmc) and borrowed by the
// collectors and the policy. Everything runs on the daemon's io_context: libcurl's
// multi-socket API is driven by Asio, so no request blocks the loop and no
// thread is spawned. Handlers are always called later from the loop, never
// from inside the call that queued them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/problem.hpp"
#include "redfish/json.hpp"
#include "redfish/model.hpp"
#include "redfish/snapshot.hpp"

namespace boost::asio {
class io_context;
}

namespace bmcquiet {
class Metrics;
class ConfigSection;
}  // namespace bmcquiet

namespace bmcquiet::redfish {

using namespace std::chrono_literals;

struct ClientOptions {
  std::string url;               // https://bmc.example:443 (scheme, host, optional port)
  std::string auth = "session";  // "session" | "basic"
  bool basic_fallback = false;   // basic auth when the BMC offers no sessions
  std::string username;
  std::string password_credential = "bmcquiet.redfish-password";  // $CREDENTIALS_DIRECTORY name
  std::string password_file;      // fallback file, must be private (0600/0400)
  std::string ca_file;            // extra CA bundle for the BMC certificate
  std::string pinned_public_key;  // "sha256//base64[;sha256//...]"
  bool insecure = false;          // no verification at all: opt-in only
  // Sized for BMCs that answer one request at a time at 0.2-0.5 s each, with
  // single answers (a log's Entries) of up to ~20 s: a request may take that
  // long; a poll (every 30 s by default) reads what it can within its
  // deadline and discovery goes on where it stopped at the next poll.
  std::chrono::milliseconds request_timeout = 30s;
  std::chrono::milliseconds poll_deadline = 25s;
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  unsigned max_in_flight = 2;
  std::chrono::milliseconds backoff_initial = 1s;
  std::chrono::milliseconds backoff_max = 5min;
  std::string data_model = "auto";                  // "auto" | "legacy" | "subsystem"
  std::chrono::milliseconds log_interval = 5min;    // log entry counts, off the poll path
  std::chrono::milliseconds slow_interval = 10min;  // Manager, NetworkProtocol, media, OEM
  // Series the BMC's own lists (sensors, fans, chassis, logs, media) may make:
  // a BMC with 15,000 sensors must not take the exporter's memory with it.
  std::size_t max_series = 5000;
};

// Reads `bmc.redfish`; nullopt when no url is set and SMBIOS type 42 under
// `sysfs` advertises no Redfish Host Interface. Problems go to the section's
// diagnostics.
std::optional<ClientOptions> read_client_options(ConfigSection& section, const std::string& sysfs);

struct HttpResponse {
  long status = 0;  // HTTP status; 0 when no response arrived
  Json body;        // null when empty or not JSON
  std::string etag;
  std::string location;
  std::string error;  // what went wrong (transport, status, parse), never a secret
  ProblemKind kind = ProblemKind::unknown;  // of error, where it is set
  // Never sent: the link leads outside the configured BMC origin. The BMC's
  // bug, not an outage: readers skip that part, health is unchanged.
  bool refused = false;
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
};
using ResponseHandler = std::function<void(HttpResponse)>;
using SnapshotHandler = std::function<void(std::shared_ptr<const Snapshot>)>;
// error is "" when the model is complete; otherwise the model (possibly
// partial, possibly null) comes with what stopped discovery.
using ModelHandler = std::function<void(std::shared_ptr<const Model>, std::string error)>;

// What the last answer from the BMC said, whoever asked (collector, policy).
struct Health {
  bool answered = false;  // an HTTP answer that was not 5xx, a TLS failure or a timeout
  std::string error;      // why not, "" when answered
  std::chrono::steady_clock::time_point at{};  // when; epoch = never asked
  unsigned consecutive_failures = 0;
};

class Client {
 public:
  struct Impl;
  // Loads the password now (errors are reported by the first request/poll).
  static std::shared_ptr<Client> create(boost::asio::io_context& io, ClientOptions options,
                                        Metrics* metrics);
  ~Client();

  // Logs the TLS mode (a warning when insecure) and publishes the info metric.
  void start();
  // Ends the session (DELETE) and cancels the rest; done runs within ~2 s.
  void shutdown(std::function<void()> done);

  // Paths are absolute ("/redfish/v1/..."), as found in @odata.id links.
  void get(const std::string& path, ResponseHandler handler);
  void patch(const std::string& path, const std::string& json_body, const std::string& if_match,
             ResponseHandler handler);
  void post(const std::string& path, const std::string& json_body, ResponseHandler handler);
  void del(const std::string& path, ResponseHandler handler);

  // One poll: discovery when needed, then every reader; within poll_deadline.
  // Asked while a poll runs, the handler gets that poll's result (single flight).
  void poll(SnapshotHandler handler);
  std::shared_ptr<const Snapshot> last_snapshot() const;
  // The model as far as discovery got; nullptr before its first stage.
  std::shared_ptr<const Model> model() const;
  // Runs (or joins) discovery when the model is missing or incomplete, then
  // hands it over; a complete model is handed over at once (from the loop).
  void discover(ModelHandler handler);
  Health health() const;

  const ClientOptions& options() const;

 private:
  explicit Client(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace bmcquiet::redfish
