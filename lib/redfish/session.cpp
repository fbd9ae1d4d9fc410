// The Redfish session: login on demand (and once more after a 401), basic
// auth when configured or as the fallback, and a shutdown that ends the
// session whatever is in flight, within a fixed budget. BMCs have few session
// slots (iDRAC: a handful, 30 min SessionTimeout): a session left behind by
// every restart is how they run out.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "core/log.hpp"
#include "redfish/client_impl.hpp"

namespace bmcquiet::redfish {
namespace {

// The whole shutdown: the unit's stop timeout and a restart wait for it.
constexpr auto kShutdownBudget = std::chrono::seconds(2);

}  // namespace

void Client::Impl::start_login() {
  login = Login::running;
  Request root{"GET", "/redfish/v1", "", "", nullptr};
  root.anonymous = true;
  root.handler = [weak = weak_from_this()](HttpResponse r) {
    auto self = weak.lock();
    if (!self || self->closing) return;  // shutdown: no session was made
    if (!r.ok()) return self->login_failed("service root: " + r.error, false);
    auto sessions = r.body["Links"]["Sessions"].link();
    if (sessions.empty())
      return self->login_failed(
          fmt::format("{}/redfish/v1 has no Links.Sessions: this BMC offers no Redfish sessions "
                      "(set bmc.redfish.auth: basic or basic_fallback: true)",
                      self->opt.url),
          true);
    // The password goes only to the configured origin, whatever the root says.
    std::string error;
    auto path = self->confine(sessions, error);
    if (!path) return self->login_failed("service root Links.Sessions: " + error, false);
    self->login_with(*path);
  };
  send(std::move(root));
}

void Client::Impl::login_with(const std::string& sessions_path) {
  Request post{"POST", sessions_path,
               fmt::format(R"({{"UserName":{},"Password":{}}})", Json::quote(opt.username),
                           Json::quote(password->reveal())),
               "", nullptr};
  post.anonymous = true;
  post.login = true;
  post.handler = [weak = weak_from_this(), sessions_path](HttpResponse r) {
    auto self = weak.lock();
    if (!self) return;
    if (r.ok() && !self->token.empty()) return self->logged_in(r);
    if (self->closing) return self->finish_shutdown();
    const bool unsupported = r.status == 404 || r.status == 405 || r.status == 501;
    const bool refused_credentials = r.status == 401 || r.status == 403;
    self->login_failed(
        fmt::format("login as '{}' at {}{} failed: {}{}", self->opt.username, self->opt.url,
                    sessions_path, r.error.empty() ? "no X-Auth-Token in the answer" : r.error,
                    r.status == 401 ? "; check bmc.redfish.username and the password credential "
                                      "'" +
                                          self->opt.password_credential + "'"
                                    : ""),
        unsupported, refused_credentials);
  };
  send(std::move(post));
}

void Client::Impl::logged_in(const HttpResponse& answer) {
  // Location names the session; some BMCs only give its @odata.id. One that
  // points off the BMC is never DELETEd there.
  session_uri.clear();
  for (const auto& link : {answer.location, answer.body.link()}) {
    std::string error;
    if (link.empty()) continue;
    if (auto path = confine(link, error)) {
      session_uri = std::move(*path);
      break;
    }
  }
  if (session_uri.empty())
    log_event(spdlog::level::warn,
              "the BMC named no session URI on its own origin: this session cannot be ended "
              "and stays until the BMC's SessionTimeout",
              {{"BMC_URL", opt.url}});
  login = Login::done;
  login_backoff.succeed();
  if (closing) return end_session();  // the answer came after shutdown began
  auto shown = session_uri;           // the BMC chose it: it must not be able to log the token
  redact(shown);
  log_event(spdlog::level::info, "logged in to the BMC's Redfish service",
            {{"BMC_URL", opt.url}, {"SESSION", shown}});
  pump();
}

void Client::Impl::retry_login() {
  if (login == Login::failed && !login_refused) login = Login::none;
}

void Client::Impl::login_failed(std::string error, bool fallback_possible,
                                bool refused_credentials) {
  if (fallback_possible && opt.basic_fallback) {
    use_basic = true;
    login = Login::done;
    log_event(spdlog::level::warn, "no Redfish sessions on this BMC: using basic auth",
              {{"BMC_URL", opt.url}});
    pump();
    return;
  }
  login = Login::failed;
  login_refused = refused_credentials;
  // Refused credentials back off: repeated attempts lock BMC accounts.
  // Anything else (no answer, 5xx, no sessions offered) refused no account:
  // it holds the login only for this poll (so its reads do not each try
  // again), and the next poll logs in at once (retry_login()), so a BMC
  // that comes back is up with that poll, not after a grown back-off.
  const auto wait = refused_credentials ? login_backoff.fail() : opt.request_timeout;
  login_retry_at = Clock::now() + wait;
  login_error = fmt::format("{} (next attempt in {} s)", error, (wait.count() + 999) / 1000);
  fail_queue(login_error);
}

// Queued and in-flight requests are cancelled first: with the connection cap
// the DELETE would otherwise wait behind a slow request (18 s for an iDRAC's
// SEL). A login on the wire is kept: the session it is creating is ended too.
void Client::Impl::shutdown(std::function<void()> done) {
  if (stopping) {  // asked again: the first shutdown's end is this one's too
    if (stopping->finished) {
      boost::asio::post(io, std::move(done));
    } else {
      stopping->waiters.push_back(std::move(done));
    }
    return;
  }
  closing = true;
  stopping = std::make_unique<Stopping>(io, Clock::now() + kShutdownBudget);
  stopping->waiters.push_back(std::move(done));
  stopping->timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (self && !ec) self->finish_shutdown();
  });
  fail_queue("the Redfish client is shutting down", true);
  const bool login_on_the_wire = cancel_transfers(true);
  if (!token.empty() && !session_uri.empty()) {
    end_session();
  } else if (!login_on_the_wire) {
    finish_shutdown();
  }
}

void Client::Impl::end_session() {
  if (token.empty() || session_uri.empty()) return finish_shutdown();
  Request del{"DELETE", session_uri, "", "", nullptr};
  del.deadline = stopping->deadline;
  del.handler = [weak = weak_from_this()](HttpResponse r) {
    auto self = weak.lock();
    if (!self || self->stopping->finished) return;  // the budget ran out first: logged there
    if (!r.ok() && r.status != 404)                 // 404: the BMC had already dropped it
      log_event(spdlog::level::warn,
                "could not end the BMC session; it stays until the BMC's SessionTimeout",
                {{"BMC_URL", self->opt.url}, {"ERROR", r.error}});
    self->token.clear();
    self->finish_shutdown();
  };
  send(std::move(del));
}

void Client::Impl::finish_shutdown() {
  if (!stopping || stopping->finished) return;
  stopping->finished = true;
  stopping->timer.cancel();
  cancel_transfers(false);
  if (!token.empty() && !session_uri.empty())
    log_event(spdlog::level::warn,
              fmt::format("the BMC session was not ended within {} s; it stays until the BMC's "
                          "SessionTimeout",
                          kShutdownBudget.count()),
              {{"BMC_URL", opt.url}});
  token.clear();  // tried within the budget: the destructor must not block on it again
  loop->close();
  for (auto& waiter : stopping->waiters) boost::asio::post(io, std::move(waiter));
  stopping->waiters.clear();
}

}  // namespace bmcquiet::redfish
