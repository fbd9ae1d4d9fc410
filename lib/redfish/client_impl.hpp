// Client internals shared by client.cpp (transport, auth) and poll.cpp
// (discovery, readers). Not for use outside lib/redfish.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/credentials.hpp"
#include "redfish/client.hpp"
#include "redfish/curl_loop.hpp"
#include "redfish/origin.hpp"

namespace bmcquiet::redfish {

using Clock = std::chrono::steady_clock;

// Exponential back-off with full jitter in [delay/2, delay].
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max) {}
  // Records a failure and returns how long to wait before the next attempt.
  std::chrono::milliseconds fail();
  void succeed() { failures_ = 0; }
  unsigned failures() const { return failures_; }

 private:
  std::chrono::milliseconds initial_, max_;
  unsigned failures_ = 0;
  std::mt19937 rng_{std::random_device{}()};
};

class Discovery;  // discovery.hpp

struct Request {
  std::string method, path, body, if_match;
  ResponseHandler handler;
  Clock::time_point deadline = Clock::time_point::max();
  bool anonymous = false;  // no credentials (service root, login)
  bool retried = false;    // already logged in again once after a 401
  bool login = false;      // the session POST: a token it brings after shutdown is ended too
};

struct Transfer;  // one request on the wire (client.cpp)

// A shutdown in progress: the session DELETE and the callers' `done`, bounded.
struct Stopping {
  explicit Stopping(boost::asio::io_context& io, Clock::time_point until)
      : deadline(until), timer(io, until) {}
  Clock::time_point deadline;
  boost::asio::steady_timer timer;
  std::vector<std::function<void()>> waiters;
  bool finished = false;
};

struct Client::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, ClientOptions options, Metrics* metrics);
  ~Impl();

  void submit(Request request);
  void pump();
  void send(Request request);
  void finished(const std::shared_ptr<Transfer>& transfer, CURLcode code);
  void complete(Request request, HttpResponse response);
  void fail(Request request, std::string error, bool refused = false);
  // The path `link` may be fetched as; nullopt (and `error`) when it is
  // outside the configured origin, which is counted and logged.
  std::optional<std::string> confine(const std::string& link, std::string& error);
  void note_health(const HttpResponse& response);
  void redact(std::string& text) const;
  void start_login();
  void login_with(const std::string& sessions_path);
  void logged_in(const HttpResponse& answer);
  // Only refused credentials (401/403 on the session POST) back off.
  void login_failed(std::string error, bool fallback_possible, bool refused_credentials = false);
  // A new poll: a login that failed without refusing the credentials may run at once.
  void retry_login();
  void fail_queue(const std::string& error, bool anonymous_too = false);
  void shutdown(std::function<void()> done);
  // Cancels the transfers on the wire (handlers get an error, posted);
  // true when the login POST was kept because keep_login was set.
  bool cancel_transfers(bool keep_login);
  void end_session();
  void finish_shutdown();
  void abandon();  // the last Client handle is gone

  // poll.cpp: the model, polls, log counts.
  void poll(SnapshotHandler handler);
  void discover(ModelHandler handler);
  void count_logs();
  void model_settled(const std::string& error);  // hands the model to discover() callers

  boost::asio::io_context& io;
  ClientOptions opt;
  Metrics* metrics;
  std::optional<Origin> origin;  // parsed from opt.url; every request goes there
  std::string origin_error;      // why opt.url is unusable (every request fails with it)
  std::set<std::string> refusals_logged;
  std::shared_ptr<CurlLoop> loop;
  std::optional<Secret> password;
  std::string password_error;

  enum class Login { none, running, done, failed } login = Login::none;
  bool use_basic = false;
  std::string token, session_uri, login_error;
  Backoff login_backoff;
  Clock::time_point login_retry_at{};
  bool login_refused = false;  // the last failed login was a 401/403: back off

  std::deque<Request> queue;
  std::map<CURL*, std::shared_ptr<Transfer>> transfers;  // on the wire
  bool closing = false;
  std::unique_ptr<Stopping> stopping;
  Health health;

  // Kept across failed polls; reset() (a 404 of a known resource) makes the
  // next poll walk the links again.
  std::shared_ptr<Discovery> discovery;
  std::shared_ptr<const Model> published;  // as far as discovery got
  std::vector<ModelHandler> model_waiters;
  std::shared_ptr<const Snapshot> last;
  Backoff poll_backoff;
  Clock::time_point next_poll_at{};
  bool polling = false;
  std::vector<SnapshotHandler> poll_waiters;  // asked while a poll ran: share its result
  // Log entry counts, by log id: a task of their own on log_interval.
  std::map<std::string, double> log_entries;
  Clock::time_point logs_counted_at{};
  bool counting_logs = false;
};

}  // namespace bmcquiet::redfish
