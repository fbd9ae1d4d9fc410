// The Redfish side of bmcsim: HTTP/1.1 keep-alive over TCP or TLS, session and
// basic auth, latency and fault injection per request.
#include <random>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/ssl.hpp>

#include "sim.hpp"

namespace bmcsim {
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

std::string base64(const std::string& in) {
  std::string out(beast::detail::base64::encoded_size(in.size()), '\0');
  out.resize(beast::detail::base64::encode(out.data(), in.data(), in.size()));
  return out;
}

std::string new_token() {
  static std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}{:016x}", rng(), rng());
}

bool public_path(const std::string& method, const std::string& path) {
  return method == "GET" && (path == "/redfish" || path == "/redfish/v1" ||
                             path == "/redfish/v1/odata" || path == "/redfish/v1/$metadata");
}

bool authorized(Sim& sim, const std::string& token, const std::string& authorization) {
  if (!token.empty()) {
    auto it = sim.sessions.find(token);
    if (it == sim.sessions.end()) return false;
    const auto now = Clock::now();
    if (now - it->second.last_used > sim.options.session_timeout) {
      sim.store.erase(it->second.uri);
      sim.sessions.erase(it);  // expired: the client must log in again
      return false;
    }
    it->second.last_used = now;
    return true;
  }
  return authorization == "Basic " + base64(sim.options.user + ":" + sim.options.password);
}

Reply login(Sim& sim, const std::string& body) {
  boost::system::error_code ec;
  auto creds = json::parse(body, ec);
  const json::object* o = !ec && creds.is_object() ? &creds.as_object() : nullptr;
  const auto* user = o ? o->if_contains("UserName") : nullptr;
  const auto* pass = o ? o->if_contains("Password") : nullptr;
  if (!user || !pass || !user->is_string() || !pass->is_string() ||
      user->as_string() != sim.options.user || pass->as_string() != sim.options.password) {
    ++sim.counters.logins_failed;
    return error_reply(401, "invalid credentials");
  }
  ++sim.counters.logins;
  const auto token = new_token();
  const auto id = std::to_string(sim.next_id++);
  const auto uri = sim.store.sessions_path() + "/" + id;
  json::object session{{"@odata.id", uri},
                       {"@odata.type", "#Session.v1_3_0.Session"},
                       {"Id", id},
                       {"Name", "User Session"},
                       {"UserName", sim.options.user}};
  sim.store.put(uri, session);
  sim.sessions[token] = {uri, Clock::now()};
  Reply r{201, json::serialize(session), {}, {}};
  r.headers = {{"X-Auth-Token", token}, {"Location", sim.session_location_prefix + uri}};
  return r;
}

Reply logout(Sim& sim, const std::string& path) {
  for (auto it = sim.sessions.begin(); it != sim.sessions.end(); ++it) {
    if (it->second.uri != path) continue;
    sim.sessions.erase(it);
    sim.store.erase(path);
    ++sim.counters.logouts;
    return {204, "", {}, {}};
  }
  return error_reply(404, "no such session");
}

}  // namespace

Reply handle_redfish(Sim& sim, const std::string& method, const std::string& target,
                     const std::string& body, const std::string& token,
                     const std::string& authorization, const std::string& if_match) {
  const auto q = target.find('?');
  const auto path = Store::normalize(target.substr(0, q));
  const auto query = q == std::string::npos ? std::string() : target.substr(q + 1);
  const auto sessions = sim.store.sessions_path();
  if (method == "POST" && path == sessions) return login(sim, body);
  if (!public_path(method, path) && !authorized(sim, token, authorization)) {
    ++sim.counters.unauthorized;
    return error_reply(401, "authentication required");
  }
  if (method == "GET") return sim.store.get(path, query);
  if (method == "DELETE" && path.starts_with(sessions + "/")) return logout(sim, path);
  Reply r;
  if (method == "PATCH") {
    r = sim.store.patch(path, body, if_match);
  } else if (method == "POST") {
    r = sim.store.post_action(path, body);
    if (r.status < 300 && path.find("Manager.Reset") != std::string::npos) sim.reboot_soon();
  } else {
    r = error_reply(405, fmt::format("{} is not allowed on {}", method, path));
  }
  ++sim.counters.writes;
  sim.writes.push_back({method, path, body, r.status, if_match});
  return r;
}

namespace {

template <class Stream>
awaitable<void> write_raw(Stream& stream, const std::string& data) {
  co_await asio::async_write(stream, asio::buffer(data), tuple_awaitable);
}

// Faults that replace the response. Returns false when the connection must end.
template <class Stream>
awaitable<bool> play_fault(Sim& sim, Stream& stream, const Fault& f, const std::string& path) {
  auto& socket = beast::get_lowest_layer(stream).socket();
  asio::steady_timer timer(sim.io);
  if (f.kind == "reset") {
    socket.set_option(asio::socket_base::linger(true, 0));
    socket.close();
    co_return false;
  }
  if (f.kind == "timeout") {  // accept the request, never answer
    timer.expires_after(std::chrono::minutes(10));
    co_await timer.async_wait(tuple_awaitable);
    co_return false;
  }
  if (f.kind == "slow") {  // a valid body, one byte at a time
    auto body = sim.store.get(path, "").body;
    co_await write_raw(stream, fmt::format("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                           "Content-Length: {}\r\n\r\n",
                                           body.size()));
    for (char c : body) {
      timer.expires_after(std::chrono::milliseconds(100));
      co_await timer.async_wait(tuple_awaitable);
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(&c, 1), tuple_awaitable);
      if (ec) co_return false;
    }
    co_return true;
  }
  if (f.kind == "huge") {  // chunked, so no Content-Length warns the client
    co_await write_raw(stream,
                       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = fmt::format("10000\r\n{}\r\n", std::string(0x10000, ' '));
    for (int i = 0; i < 4096; ++i) {  // 256 MiB at most
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(chunk), tuple_awaitable);
      if (ec) co_return false;
    }
    co_await write_raw(stream, "0\r\n\r\n");
    co_return true;
  }
  co_return true;
}

// The serialised BMC's worker for one request, handed on when the answer went
// out (or the connection ended).
struct Turn {
  Sim& sim;
  bool held;
  Turn(Sim& s, bool taken) : sim(s), held(taken) {}
  Turn(const Turn&) = delete;
  Turn& operator=(const Turn&) = delete;
  ~Turn() { release(); }
  void release() {
    if (held) sim.release_turn();
    held = false;
  }
};

template <class Stream>
awaitable<void> serve(Sim& sim, Stream& stream) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, tuple_awaitable);
    if (ec) co_return;
    ++sim.counters.requests;
    if (sim.recent.size() >= 64) sim.recent.erase(sim.recent.begin());
    sim.recent.push_back(std::string(req.method_string()) + " " + std::string(req.target()));
    Turn turn{sim, co_await sim.acquire_turn()};
    sim.counters.in_flight_max = std::max(sim.counters.in_flight_max, ++sim.counters.in_flight);
    const std::string target(req.target());
    const auto path = Store::normalize(target.substr(0, target.find('?')));
    asio::steady_timer delay(sim.io, sim.latency_for(path));
    co_await delay.async_wait(tuple_awaitable);
    const auto fault = sim.take_fault(path, false, std::string(req.method_string()));
    http::response<http::string_body> res;
    if (fault && fault->kind != "status" && fault->kind != "malformed") {
      // A swallowed request must not hold the serialised BMC for ten minutes.
      if (fault->kind == "timeout") turn.release();
      const bool keep = co_await play_fault(sim, stream, *fault, path);
      --sim.counters.in_flight;
      if (!keep) co_return;
      continue;
    }
    Reply reply = fault && fault->kind == "status"
                      ? error_reply(fault->status, "injected fault")
                      : handle_redfish(sim, std::string(req.method_string()), target, req.body(),
                                       std::string(req["X-Auth-Token"]),
                                       std::string(req[http::field::authorization]),
                                       std::string(req[http::field::if_match]));
    if (fault && !fault->location.empty()) reply.headers.emplace_back("Location", fault->location);
    if (fault && fault->kind == "malformed")
      reply = {200, R"({"@odata.id": "/redfish/v1", "Na)", {}, {}};
    res.result(reply.status);
    res.version(11);
    res.set(http::field::server, "bmcsim");
    if (!reply.body.empty()) res.set(http::field::content_type, "application/json");
    if (!reply.etag.empty() && sim.etag_header) res.set(http::field::etag, reply.etag);
    for (const auto& [k, v] : reply.headers) res.set(k, v);
    res.body() = std::move(reply.body);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, tuple_awaitable);
    --sim.counters.in_flight;
    if (wec || !req.keep_alive()) co_return;
  }
}

awaitable<void> run_connection(Sim& sim, tcp::socket socket) {
  const auto id = sim.next_id++;
  ++sim.counters.connections;
  if (!sim.options.tls) {
    beast::tcp_stream stream(std::move(socket));
    sim.open_sockets[id] = &stream.socket();
    co_await serve(sim, stream);
    sim.open_sockets.erase(id);
    co_return;
  }
  const bool wrong = sim.take_fault("", true).has_value();
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket),
                                              wrong ? sim.wrong_tls : sim.good_tls);
  sim.open_sockets[id] = &beast::get_lowest_layer(stream).socket();
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, tuple_awaitable);
  if (!ec) {
    ++sim.counters.tls_handshakes;
    co_await serve(sim, stream);
  }
  sim.open_sockets.erase(id);
}

}  // namespace

void spawn_redfish_connection(Sim& sim, tcp::socket socket) {
  asio::co_spawn(sim.io, run_connection(sim, std::move(socket)), asio::detached);
}

}  // namespace bmcsim
