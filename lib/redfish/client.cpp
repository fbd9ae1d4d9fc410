// Transport of the Redfish client: one request queue per BMC, at most
// max_in_flight transfers, every URL the configured origin + a checked path
// (origin.hpp), health from every answer. Login and shutdown: session.cpp.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "core/log.hpp"
#include "metrics/metrics.hpp"
#include "redfish/client_impl.hpp"

namespace bmcquiet::redfish {
namespace {

constexpr const char* kRequests = "bmcquiet_redfish_requests_total";
constexpr const char* kFailures = "bmcquiet_redfish_request_failures_total";
constexpr const char* kDuration = "bmcquiet_redfish_request_duration_seconds";
constexpr const char* kClientInfo = "bmcquiet_redfish_client_info";
constexpr const char* kRefused = "bmcquiet_redfish_refused_links_total";
constexpr const char* kRefusedHelp =
    "Links (@odata.id, action targets, Location) refused because they lead outside the "
    "configured BMC origin; never fetched";
constexpr std::size_t kMaxRefusalsLogged = 16;  // one line per hostile link, not per poll

}  // namespace

// One transfer in flight: owns the easy handle and everything curl points at.
struct Transfer {
  CURL* easy = curl_easy_init();
  curl_slist* headers = nullptr;
  std::string url, response, etag, location, token;
  std::size_t cap = 0;
  bool too_large = false;
  char errbuf[CURL_ERROR_SIZE] = {};
  Clock::time_point started = Clock::now();
  long timeout_ms = 0;
  Request request;

  ~Transfer() {
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }
};

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->response.size() + size * n > t->cap) {
    t->too_large = true;
    return 0;  // aborts the transfer: a BMC must not make us buffer without bound
  }
  t->response.append(data, size * n);
  return size * n;
}

std::string header_value(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return {};
  for (std::size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return {};
  auto v = line.substr(name.size() + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
    v.remove_suffix(1);
  return std::string(v);
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) t->etag.clear(), t->location.clear(), t->token.clear();
  if (auto v = header_value(line, "etag"); !v.empty()) t->etag = v;
  if (auto v = header_value(line, "location"); !v.empty()) t->location = v;
  if (auto v = header_value(line, "x-auth-token"); !v.empty()) t->token = v;
  return size * n;
}

std::string failure_reason(CURLcode code, bool too_large) {
  if (too_large || code == CURLE_FILESIZE_EXCEEDED) return "too_large";
  if (code == CURLE_OPERATION_TIMEDOUT) return "timeout";
  if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
      code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_CONNECT_ERROR)
    return "tls";
  return "connection";
}

// The kind behind a failure reason: one log line per kind of outage.
ProblemKind problem_kind(std::string_view reason, long status) {
  if (reason == "timeout") return ProblemKind::timeout;
  if (reason == "tls") return ProblemKind::tls;
  if (reason == "connection") return ProblemKind::unavailable;
  if (status == 401 || status == 403) return ProblemKind::denied;
  return reason.empty() ? ProblemKind::unknown : ProblemKind::protocol;
}

std::string describe(const Transfer& t, CURLcode code) {
  const auto& r = t.request;
  if (t.too_large || code == CURLE_FILESIZE_EXCEEDED)
    return fmt::format(
        "{} {}: response larger than {} bytes; raise bmc.redfish.max_response_bytes "
        "if this BMC is right",
        r.method, t.url, t.cap);
  if (code == CURLE_OPERATION_TIMEDOUT)
    return fmt::format(
        "{} {}: no complete answer within {} ms (bmc.redfish.request_timeout or "
        "the poll deadline)",
        r.method, t.url, t.timeout_ms);
  std::string hint;
  if (code == CURLE_PEER_FAILED_VERIFICATION)
    hint = "; set bmc.redfish.ca_file or pin its key with bmc.redfish.pinned_public_key";
  if (code == CURLE_SSL_PINNEDPUBKEYNOTMATCH)
    hint = "; the BMC's key is not the pinned one (bmc.redfish.pinned_public_key)";
  return fmt::format("{} {}: {}{}", r.method, t.url,
                     t.errbuf[0] ? t.errbuf : curl_easy_strerror(code), hint);
}

void apply_tls(CURL* e, const ClientOptions& opt) {
  // A pinned key replaces the CA chain check: that is how a BMC's self-signed
  // certificate is trusted without turning verification off.
  const bool chain = !opt.insecure && opt.pinned_public_key.empty();
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, chain ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, chain ? 2L : 0L);
  if (!opt.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, opt.ca_file.c_str());
  if (!opt.pinned_public_key.empty())
    curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, opt.pinned_public_key.c_str());
}

// Credentials go to the configured origin only: no redirect is followed (a
// 3xx is an answer), auth is never replayed to another host, and only the
// configured scheme is spoken (no https → http downgrade).
void apply_origin_lock(CURL* e, const Origin& origin) {
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, origin.scheme.c_str());
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, origin.scheme.c_str());
}

// Everything curl needs for one request. `token` and `basic_password` are
// given only to requests that carry credentials.
void configure(Transfer& t, const ClientOptions& opt, const Origin& origin,
               const std::string& token, const Secret* basic_password) {
  const auto& r = t.request;
  CURL* e = t.easy;
  curl_easy_setopt(e, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, t.timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, std::min<long>(t.timeout_ms, 5000));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, 3600L);  // reuse across polls, not 118 s
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t.cap));
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  apply_tls(e, opt);
  apply_origin_lock(e, origin);
  t.headers = curl_slist_append(t.headers, "Accept: application/json");
  t.headers = curl_slist_append(t.headers, "OData-Version: 4.0");
  t.headers = curl_slist_append(t.headers, "Expect:");
  if (!r.if_match.empty())
    t.headers = curl_slist_append(t.headers, ("If-Match: " + r.if_match).c_str());
  if (!token.empty()) t.headers = curl_slist_append(t.headers, ("X-Auth-Token: " + token).c_str());
  if (basic_password) {
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(e, CURLOPT_USERNAME, opt.username.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, basic_password->reveal().c_str());
  }
  if (r.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    if (r.method != "DELETE" || !r.body.empty()) {
      t.headers = curl_slist_append(t.headers, "Content-Type: application/json");
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
    }
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
}

// What the BMC answered, or why nothing usable came; `reason` names the
// failure for the metric ("" when none).
HttpResponse read_response(Transfer& t, CURLcode code, std::string& reason) {
  HttpResponse resp;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &resp.status);
  resp.etag = t.etag;
  resp.location = t.location;
  if (code != CURLE_OK) {
    resp.status = 0;
    resp.error = describe(t, code);
    reason = failure_reason(code, t.too_large);
    return resp;
  }
  if (!t.response.empty()) {
    std::string perr;
    auto body = Json::parse(t.response, &perr);
    if (body) resp.body = *body;
    if (!body && resp.status < 300) {
      resp.error = fmt::format("{} {}: {}", t.request.method, t.url, perr);
      reason = "malformed";
    }
  }
  if (resp.status >= 300 && resp.status < 400) {
    resp.error = fmt::format(
        "{} {}: HTTP {} to {}, not followed (requests and credentials go to the configured BMC "
        "only)",
        t.request.method, t.url, resp.status, printable_link(resp.location));
    reason = "redirect";
  }
  if (resp.status >= 400) {
    auto msg = resp.body["error"]["message"].string();
    resp.error = fmt::format("{} {}: HTTP {}{}", t.request.method, t.url, resp.status,
                             msg ? " (" + *msg + ")" : "");
    reason = resp.status >= 500 ? "http_5xx" : "http_4xx";
  }
  return resp;
}

}  // namespace

std::chrono::milliseconds Backoff::fail() {
  ++failures_;
  auto delay = initial_;
  for (unsigned i = 1; i < failures_ && delay < max_; ++i) delay *= 2;
  delay = std::min(delay, max_);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::chrono::milliseconds(static_cast<long>(double(delay.count()) * jitter(rng_)));
}

Client::Impl::Impl(boost::asio::io_context& io_context, ClientOptions options, Metrics* m)
    : io(io_context),
      opt(std::move(options)),
      metrics(m),
      loop(CurlLoop::create(io_context, std::max(1u, opt.max_in_flight))),
      login_backoff(std::max(opt.backoff_initial, std::chrono::milliseconds(1000)),
                    std::max(opt.backoff_max, std::chrono::milliseconds(1000))),
      poll_backoff(opt.backoff_initial, opt.backoff_max) {
  while (!opt.url.empty() && opt.url.back() == '/') opt.url.pop_back();
  auto parsed = parse_origin(opt.url);
  origin = std::move(parsed.origin);
  origin_error = std::move(parsed.error);
  // Nothing is sent to an unusable URL; what is printed of it hides user:password@.
  if (!origin) opt.url = printable_link(opt.url);
  auto secret = load_secret(opt.password_credential, opt.password_file);
  if (secret.secret) {
    password = std::move(secret.secret);
  } else {
    password_error = fmt::format("BMC password for {}: {}", opt.url, secret.error);
  }
}

Client::Impl::~Impl() {
  loop->close();
  // The loop may already be gone (daemon exit): end the session synchronously,
  // briefly, so BMCs with few session slots do not fill up with ours.
  if (token.empty() || session_uri.empty() || !origin) return;
  CURL* e = curl_easy_init();
  const auto url = origin->base + session_uri;
  curl_slist* headers = curl_slist_append(nullptr, ("X-Auth-Token: " + token).c_str());
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 1000L);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(
      e, CURLOPT_WRITEFUNCTION,
      +[](char*, std::size_t size, std::size_t n, void*) { return size * n; });
  apply_tls(e, opt);
  apply_origin_lock(e, *origin);
  curl_easy_perform(e);
  curl_slist_free_all(headers);
  curl_easy_cleanup(e);
}

void Client::Impl::submit(Request request) {
  if (closing) return fail(std::move(request), "the Redfish client is shutting down");
  // Refused here, a link elsewhere does not even wait for a login.
  std::string error;
  auto path = confine(request.path, error);
  if (!path) return fail(std::move(request), std::move(error), true);
  request.path = std::move(*path);
  queue.push_back(std::move(request));
  pump();
}

void Client::Impl::fail(Request request, std::string error, bool refused) {
  redact(error);  // it may quote a link the BMC supplied
  boost::asio::post(io, [h = std::move(request.handler), e = std::move(error), refused] {
    HttpResponse r{0, {}, {}, {}, e};
    r.refused = refused;
    h(std::move(r));
  });
}

std::optional<std::string> Client::Impl::confine(const std::string& link, std::string& error) {
  if (!origin) {
    error = origin_error;
    return std::nullopt;
  }
  auto confined = confine_to_origin(*origin, link);
  if (confined.ok()) return std::move(confined.path);
  error = std::move(confined.error);
  redact(error);
  if (metrics) metrics->counter(kRefused, kRefusedHelp, {}).Increment();
  if (refusals_logged.size() < kMaxRefusalsLogged && refusals_logged.insert(error).second)
    log_event(spdlog::level::warn, "refused a link outside the configured BMC origin",
              {{"BMC_URL", origin->text()}, {"ERROR", error}});
  return std::nullopt;
}

void Client::Impl::pump() {
  while (!closing && !queue.empty() && transfers.size() < std::max(1u, opt.max_in_flight)) {
    auto& next = queue.front();
    if (!next.anonymous && !password) {
      fail_queue(password_error);
      return;
    }
    if (!next.anonymous && opt.auth == "session" && !use_basic && token.empty()) {
      if (login == Login::running) return;
      if (login == Login::failed && Clock::now() < login_retry_at) {
        fail_queue(login_error);
        return;
      }
      start_login();
      return;
    }
    auto request = std::move(queue.front());
    queue.pop_front();
    send(std::move(request));
  }
}

void Client::Impl::fail_queue(const std::string& error, bool anonymous_too) {
  std::deque<Request> failed, kept;
  for (auto& r : queue) (anonymous_too || !r.anonymous ? failed : kept).push_back(std::move(r));
  queue = std::move(kept);
  for (auto& r : failed) fail(std::move(r), error);
}

void Client::Impl::send(Request request) {
  std::string error;
  auto path = confine(request.path, error);
  if (!path) return fail(std::move(request), std::move(error), true);
  request.path = std::move(*path);
  if (request.deadline != Clock::time_point::max() && Clock::now() >= request.deadline) {
    error = fmt::format(
        "{} {}{}: not sent, the poll deadline (bmc.redfish.poll_deadline, {} ms) had passed",
        request.method, origin->base, request.path, opt.poll_deadline.count());
    return fail(std::move(request), std::move(error));
  }
  auto t = std::make_shared<Transfer>();
  t->cap = opt.max_response_bytes;
  t->url = origin->base + request.path;
  auto budget = opt.request_timeout;
  if (request.deadline != Clock::time_point::max())
    budget = std::min(budget, std::chrono::duration_cast<std::chrono::milliseconds>(
                                  request.deadline - Clock::now()));
  t->timeout_ms = std::max<long>(1, budget.count());
  t->request = std::move(request);
  const bool basic = !t->request.anonymous && (opt.auth == "basic" || use_basic) && password;
  configure(*t, opt, *origin, t->request.anonymous ? std::string() : token,
            basic ? &*password : nullptr);
  transfers[t->easy] = t;
  if (metrics)
    metrics->counter(kRequests, "Redfish requests sent, by method", {{"method", t->request.method}})
        .Increment();
  loop->add(t->easy, [weak = weak_from_this(), t](CURLcode code) {
    if (auto self = weak.lock()) self->finished(t, code);
  });
}

void Client::Impl::finished(const std::shared_ptr<Transfer>& t, CURLcode code) {
  if (!transfers.erase(t->easy)) return;  // cancelled: its handler was told already
  std::string reason;
  HttpResponse resp = read_response(*t, code, reason);
  resp.kind = problem_kind(reason, resp.status);
  if (metrics) {
    const double seconds = std::chrono::duration<double>(Clock::now() - t->started).count();
    metrics
        ->histogram(kDuration, "Redfish request latency",
                    {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})
        .Observe(seconds);
    if (!reason.empty())
      metrics->counter(kFailures, "Redfish requests that failed, by reason", {{"reason", reason}})
          .Increment();
  }
  redact(resp.error);
  note_health(resp);
  // Only a successful login answer may set the session token.
  if (t->request.login && resp.status >= 200 && resp.status < 300 && !t->token.empty())
    token = t->token;
  complete(std::move(t->request), std::move(resp));
}

void Client::Impl::note_health(const HttpResponse& r) {
  health.at = Clock::now();
  // A 4xx is the BMC answering (about our request); 5xx and silence are not.
  health.answered = r.status != 0 && r.status < 500;
  health.error = health.answered ? std::string() : r.error;
  health.consecutive_failures = health.answered ? 0 : health.consecutive_failures + 1;
}

// A BMC's error message and its links are printed and logged: it must not be
// able to echo the password (it receives it with basic auth and at login) or
// the token.
void Client::Impl::redact(std::string& text) const {
  const auto hide = [&text](const std::string& secret) {
    constexpr std::string_view kHidden = "<redacted>";
    if (secret.empty()) return;
    for (auto at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + kHidden.size()))
      text.replace(at, secret.size(), kHidden);
  };
  if (password) hide(password->reveal());
  hide(token);
}

void Client::Impl::complete(Request request, HttpResponse response) {
  const bool session = opt.auth == "session" && !use_basic;
  if (response.status == 401 && session && !request.anonymous && !request.retried && !closing) {
    // The session expired or the BMC rebooted: log in once more, then retry.
    token.clear();
    if (login != Login::running) login = Login::none;
    request.retried = true;
    queue.push_front(std::move(request));
    pump();
    return;
  }
  auto handler = std::move(request.handler);
  handler(std::move(response));
  pump();
}

bool Client::Impl::cancel_transfers(bool keep_login) {
  bool kept = false;
  for (auto it = transfers.begin(); it != transfers.end();) {
    auto t = it->second;
    if (keep_login && t->request.login) {
      kept = true;
      ++it;
      continue;
    }
    // Removed mid-transfer, its connection is closed: nothing queues behind it.
    loop->cancel(t->easy);
    it = transfers.erase(it);
    auto error = fmt::format("{} {}: cancelled, the Redfish client is shutting down",
                             t->request.method, t->url);
    fail(std::move(t->request), std::move(error));
  }
  return kept;
}

std::shared_ptr<Client> Client::create(boost::asio::io_context& io, ClientOptions options,
                                       Metrics* metrics) {
  return std::shared_ptr<Client>(
      new Client(std::make_shared<Impl>(io, std::move(options), metrics)));
}

// The last handle is gone, so nobody waits for an answer any more. Requests
// queued or on the wire hold the poll or log-count task that holds the Impl:
// drop them, so the Impl is freed (and its destructor ends the session).
Client::~Client() { impl_->abandon(); }

void Client::Impl::abandon() {
  closing = true;
  queue.clear();
  for (auto& [easy, transfer] : transfers) loop->cancel(easy);
  transfers.clear();
  poll_waiters.clear();
  model_waiters.clear();
}

void Client::start() {
  const auto& o = impl_->opt;
  const bool https = impl_->origin && impl_->origin->scheme == "https";
  const char* tls = !https                         ? "plaintext"
                    : o.insecure                   ? "insecure"
                    : !o.pinned_public_key.empty() ? "pinned"
                                                   : "verified";
  if (o.insecure)
    log_event(spdlog::level::warn,
              "Redfish TLS verification is OFF (bmc.redfish.insecure: true): anyone on the path "
              "can read the BMC password; pin the BMC key with pinned_public_key instead",
              {{"BMC_URL", o.url}});
  if (!impl_->origin)
    log_event(spdlog::level::err, "the Redfish client sends nothing: bad bmc.redfish.url",
              {{"ERROR", impl_->origin_error}});
  if (!impl_->metrics) return;
  impl_->metrics->set_info(kClientInfo,
                           "Redfish client settings (tls: verified|pinned|insecure|plaintext)",
                           {{"tls", tls}, {"auth", o.auth}});
  impl_->metrics->counter(kRefused, kRefusedHelp, {});  // 0 until a link is refused
}

void Client::shutdown(std::function<void()> done) { impl_->shutdown(std::move(done)); }

void Client::get(const std::string& path, ResponseHandler handler) {
  impl_->submit({"GET", path, "", "", std::move(handler)});
}

void Client::patch(const std::string& path, const std::string& body, const std::string& if_match,
                   ResponseHandler handler) {
  impl_->submit({"PATCH", path, body, if_match, std::move(handler)});
}

void Client::post(const std::string& path, const std::string& body, ResponseHandler handler) {
  impl_->submit({"POST", path, body, "", std::move(handler)});
}

void Client::del(const std::string& path, ResponseHandler handler) {
  impl_->submit({"DELETE", path, "", "", std::move(handler)});
}

void Client::poll(SnapshotHandler handler) { impl_->poll(std::move(handler)); }

std::shared_ptr<const Snapshot> Client::last_snapshot() const { return impl_->last; }

Health Client::health() const { return impl_->health; }

const ClientOptions& Client::options() const { return impl_->opt; }

}  // namespace bmcquiet::redfish
