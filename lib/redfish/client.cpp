// Transport and authentication of the Redfish client: one request queue per
// BMC, at most max_in_flight transfers, session login on demand (and once
// more after a 401), basic auth when configured or as the fallback.
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

// "https://bmc/redfish/v1/X" → "/redfish/v1/X"; paths pass through.
std::string path_of(const std::string& location) {
  auto scheme = location.find("://");
  if (scheme == std::string::npos) return location;
  auto slash = location.find('/', scheme + 3);
  return slash == std::string::npos ? "/" : location.substr(slash);
}

std::string failure_reason(CURLcode code, bool too_large) {
  if (too_large || code == CURLE_FILESIZE_EXCEEDED) return "too_large";
  if (code == CURLE_OPERATION_TIMEDOUT) return "timeout";
  if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
      code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_CONNECT_ERROR)
    return "tls";
  return "connection";
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
  if (token.empty() || session_uri.empty()) return;
  CURL* e = curl_easy_init();
  const auto url = opt.url + session_uri;
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
  curl_easy_perform(e);
  curl_slist_free_all(headers);
  curl_easy_cleanup(e);
}

void Client::Impl::submit(Request request) {
  if (closing) {
    boost::asio::post(io, [h = std::move(request.handler)] {
      h(Response{0, {}, {}, {}, "the Redfish client is shutting down"});
    });
    return;
  }
  queue.push_back(std::move(request));
  pump();
}

void Client::Impl::pump() {
  while (!queue.empty() && in_flight < std::max(1u, opt.max_in_flight)) {
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

void Client::Impl::fail_queue(const std::string& error) {
  std::deque<Request> failed;
  for (auto& r : queue)
    if (!r.anonymous) failed.push_back(std::move(r));
  std::erase_if(queue, [](const Request& r) { return !r.anonymous; });
  for (auto& r : failed)
    boost::asio::post(io, [h = std::move(r.handler), error] { h(Response{0, {}, {}, {}, error}); });
}

void Client::Impl::send(Request request) {
  if (request.deadline != Clock::time_point::max() && Clock::now() >= request.deadline) {
    auto error = fmt::format(
        "{} {}{}: not sent, the poll deadline (bmc.redfish.poll_deadline, "
        "{} ms) had passed",
        request.method, opt.url, request.path, opt.poll_deadline.count());
    boost::asio::post(io, [h = std::move(request.handler), error] {
      h(Response{0, {}, {}, {}, error});
    });
    return;
  }
  auto t = std::make_shared<Transfer>();
  t->cap = opt.max_response_bytes;
  t->url = request.path.starts_with("http") ? request.path : opt.url + request.path;
  const auto now = Clock::now();
  auto budget = opt.request_timeout;
  if (request.deadline != Clock::time_point::max())
    budget = std::min(
        budget, std::chrono::duration_cast<std::chrono::milliseconds>(request.deadline - now));
  t->timeout_ms = std::max<long>(1, budget.count());
  t->request = std::move(request);
  const auto& r = t->request;
  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, t->timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, std::min<long>(t->timeout_ms, 5000));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, 3600L);  // reuse across polls, not 118 s
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t->cap));
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  apply_tls(e, opt);
  t->headers = curl_slist_append(t->headers, "Accept: application/json");
  t->headers = curl_slist_append(t->headers, "OData-Version: 4.0");
  t->headers = curl_slist_append(t->headers, "Expect:");
  if (!r.if_match.empty())
    t->headers = curl_slist_append(t->headers, ("If-Match: " + r.if_match).c_str());
  if (!r.anonymous && !token.empty())
    t->headers = curl_slist_append(t->headers, ("X-Auth-Token: " + token).c_str());
  if (!r.anonymous && (opt.auth == "basic" || use_basic) && password) {
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(e, CURLOPT_USERNAME, opt.username.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, password->reveal().c_str());
  }
  if (r.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    if (r.method != "DELETE" || !r.body.empty()) {
      t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
    }
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  ++in_flight;
  if (metrics)
    metrics->counter(kRequests, "Redfish requests sent, by method", {{"method", r.method}})
        .Increment();
  std::weak_ptr<Impl> weak = weak_from_this();
  loop->add(e, [weak, t](CURLcode code) {
    auto self = weak.lock();
    if (!self) return;
    --self->in_flight;
    Response resp;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &resp.status);
    resp.etag = t->etag;
    resp.location = t->location;
    const double seconds = std::chrono::duration<double>(Clock::now() - t->started).count();
    std::string reason;
    if (code != CURLE_OK) {
      resp.status = 0;
      resp.error = describe(*t, code);
      reason = failure_reason(code, t->too_large);
    } else {
      if (!t->response.empty()) {
        std::string perr;
        auto body = Json::parse(t->response, &perr);
        if (body) resp.body = *body;
        if (!body && resp.status < 300) {
          resp.error = fmt::format("{} {}: {}", t->request.method, t->url, perr);
          reason = "malformed";
        }
      }
      if (resp.status >= 400) {
        auto msg = resp.body["error"]["message"].string();
        resp.error = fmt::format("{} {}: HTTP {}{}", t->request.method, t->url, resp.status,
                                 msg ? " (" + *msg + ")" : "");
        reason = resp.status >= 500 ? "http_5xx" : "http_4xx";
      }
    }
    if (self->metrics) {
      self->metrics
          ->histogram(kDuration, "Redfish request latency",
                      {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})
          .Observe(seconds);
      if (!reason.empty())
        self->metrics
            ->counter(kFailures, "Redfish requests that failed, by reason", {{"reason", reason}})
            .Increment();
    }
    // Only a login answer may set the session token.
    if (t->request.anonymous && t->request.method == "POST" && !t->token.empty())
      self->token = t->token;
    self->complete(std::move(t->request), std::move(resp));
  });
}

void Client::Impl::complete(Request request, Response response) {
  const bool session = opt.auth == "session" && !use_basic;
  if (response.status == 401 && session && !request.anonymous && !request.retried) {
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

void Client::Impl::start_login() {
  login = Login::running;
  Request root{"GET", "/redfish/v1", "", "", nullptr};
  root.anonymous = true;
  root.handler = [weak = weak_from_this()](Response r) {
    auto self = weak.lock();
    if (!self) return;
    if (!r.ok()) return self->login_failed("service root: " + r.error, false);
    auto sessions = r.body["Links"]["Sessions"].link();
    if (sessions.empty())
      return self->login_failed(
          fmt::format("{}/redfish/v1 has no Links.Sessions: this BMC offers no Redfish sessions "
                      "(set bmc.redfish.auth: basic or basic_fallback: true)",
                      self->opt.url),
          true);
    self->login_with(path_of(sessions));
  };
  send(std::move(root));
}

void Client::Impl::login_with(const std::string& sessions_path) {
  Request post{"POST", sessions_path,
               fmt::format(R"({{"UserName":{},"Password":{}}})", Json::quote(opt.username),
                           Json::quote(password->reveal())),
               "", nullptr};
  post.anonymous = true;
  post.handler = [weak = weak_from_this(), sessions_path](Response r) {
    auto self = weak.lock();
    if (!self) return;
    if (r.ok() && !self->token.empty()) {
      self->session_uri = path_of(r.location.empty() ? r.body.link() : r.location);
      self->login = Login::done;
      self->login_backoff.succeed();
      log_event(spdlog::level::info, "logged in to the BMC's Redfish service",
                {{"BMC_URL", self->opt.url}, {"SESSION", self->session_uri}});
      self->pump();
      return;
    }
    const bool unsupported = r.status == 404 || r.status == 405 || r.status == 501;
    self->login_failed(
        fmt::format("login as '{}' at {}{} failed: {}{}", self->opt.username, self->opt.url,
                    sessions_path, r.error.empty() ? "no X-Auth-Token in the answer" : r.error,
                    r.status == 401 ? "; check bmc.redfish.username and the password credential "
                                      "'" +
                                          self->opt.password_credential + "'"
                                    : ""),
        unsupported);
  };
  send(std::move(post));
}

void Client::Impl::login_failed(std::string error, bool fallback_possible) {
  if (fallback_possible && opt.basic_fallback) {
    use_basic = true;
    login = Login::done;
    log_event(spdlog::level::warn, "no Redfish sessions on this BMC: using basic auth",
              {{"BMC_URL", opt.url}});
    pump();
    return;
  }
  login = Login::failed;
  // Failed logins back off: repeated attempts lock BMC accounts.
  const auto wait = login_backoff.fail();
  login_retry_at = Clock::now() + wait;
  login_error = fmt::format("{} (next attempt in {} s)", error, (wait.count() + 999) / 1000);
  fail_queue(login_error);
}

void Client::Impl::shutdown(std::function<void()> done) {
  closing = true;
  fail_queue("the Redfish client is shutting down");
  if (token.empty() || session_uri.empty()) {
    loop->close();
    boost::asio::post(io, std::move(done));
    return;
  }
  Request del{"DELETE", session_uri, "", "", nullptr};
  del.deadline = Clock::now() + std::chrono::seconds(2);
  del.handler = [weak = weak_from_this(), done](Response r) {
    if (auto self = weak.lock()) {
      if (!r.ok())
        log_event(spdlog::level::warn, "could not end the BMC session",
                  {{"BMC_URL", self->opt.url}, {"ERROR", r.error}});
      self->token.clear();
      self->loop->close();
    }
    done();
  };
  send(std::move(del));
}

std::shared_ptr<Client> Client::create(boost::asio::io_context& io, ClientOptions options,
                                       Metrics* metrics) {
  return std::shared_ptr<Client>(
      new Client(std::make_shared<Impl>(io, std::move(options), metrics)));
}

Client::~Client() = default;

void Client::start() {
  const auto& o = impl_->opt;
  const char* tls = !o.url.starts_with("https")    ? "plaintext"
                    : o.insecure                   ? "insecure"
                    : !o.pinned_public_key.empty() ? "pinned"
                                                   : "verified";
  if (o.insecure)
    log_event(spdlog::level::warn,
              "Redfish TLS verification is OFF (bmc.redfish.insecure: true): anyone on the path "
              "can read the BMC password; pin the BMC key with pinned_public_key instead",
              {{"BMC_URL", o.url}});
  if (impl_->metrics)
    impl_->metrics->set_info(kClientInfo,
                             "Redfish client settings (tls: verified|pinned|insecure|plaintext)",
                             {{"tls", tls}, {"auth", o.auth}});
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

void Client::rediscover() { impl_->discovery.reset(); }

Health Client::health() const { return {}; }

const ClientOptions& Client::options() const { return impl_->opt; }

}  // namespace bmcquiet::redfish
