// The control endpoint tests use to steer the simulator (plain HTTP on its own
// port, so its traffic never shows in the Redfish counters). See README.md.
#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast.hpp>

#include "sim.hpp"

namespace bmcsim {
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
constexpr auto control_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

json::object stats(const Sim& sim) {
  const auto& c = sim.counters;
  return {{"connections", c.connections},
          {"tls_handshakes", c.tls_handshakes},
          {"requests", c.requests},
          {"writes", c.writes},
          {"logins", c.logins},
          {"logins_failed", c.logins_failed},
          {"logouts", c.logouts},
          {"unauthorized", c.unauthorized},
          {"in_flight_max", c.in_flight_max},
          {"active_sessions", sim.sessions.size()},
          {"serialize", sim.options.serialize},
          {"queued_max", c.queued_max},
          {"queue_wait_max_ms", c.queue_wait_max.count()},
          {"queue_wait_total_ms", c.queue_wait_total.count()},
          {"latency_ms", sim.options.latency.count()},
          {"latency_profile", sim.profile ? sim.profile->source : ""}};
}

// Zeroes the counters but not the gauges of requests still being served.
void reset_stats(Sim& sim) {
  Counters fresh;
  fresh.in_flight = fresh.in_flight_max = sim.counters.in_flight;
  fresh.queued = fresh.queued_max = sim.counters.queued;
  sim.counters = fresh;
  sim.writes.clear();
}

json::array write_log(const Sim& sim) {
  json::array out;
  for (const auto& w : sim.writes)
    out.push_back(json::object{{"method", w.method},
                               {"path", w.path},
                               {"body", w.body},
                               {"status", w.status},
                               {"if_match", w.if_match}});
  return out;
}

std::string param(const std::string& target, const std::string& name) {
  auto pos = target.find(name + "=");
  if (pos == std::string::npos) return {};
  auto end = target.find('&', pos);
  return target.substr(pos + name.size() + 1,
                       end == std::string::npos ? std::string::npos : end - pos - name.size() - 1);
}

std::string str(const json::object& o, const char* key, std::string fallback = {}) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : fallback;
}

std::int64_t num(const json::object& o, const char* key, std::int64_t fallback) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : fallback;
}

Reply set_latency_profile(Sim& sim, const json::object& o) {
  const auto file = str(o, "file");
  if (file.empty()) {
    sim.profile.reset();
    return {200, "{}", {}, {}};
  }
  std::string error;
  if (!sim.load_latency_profile(file, &error)) return error_reply(400, error);
  return {200, "{}", {}, {}};
}

Reply set_fault(Sim& sim, const json::object& o) {
  auto kind = str(o, "kind");
  static const std::set<std::string> kinds = {"status", "timeout", "reset",      "malformed",
                                              "slow",   "huge",    "wrong_cert", "none"};
  if (!kinds.count(kind)) return error_reply(400, "unknown fault kind");
  if (kind == "none") {
    sim.fault.reset();
  } else {
    sim.fault = Fault{kind,
                      unsigned(num(o, "status", 503)),
                      str(o, "path"),
                      int(num(o, "count", -1)),
                      str(o, "location"),
                      str(o, "method")};
  }
  return {200, "{}", {}, {}};
}

Reply route(Sim& sim, const std::string& method, const std::string& target,
            const std::string& body) {
  const auto path = target.substr(0, target.find('?'));
  boost::system::error_code ec;
  auto parsed = body.empty() ? json::value(json::object{}) : json::parse(body, ec);
  if (ec || !parsed.is_object()) return error_reply(400, "control body must be a JSON object");
  const auto& o = parsed.as_object();
  if (method == "GET" && path == "/stats") return {200, json::serialize(stats(sim)), {}, {}};
  if (method == "GET" && path == "/writes") return {200, json::serialize(write_log(sim)), {}, {}};
  if (method == "GET" && path == "/recent") {
    json::array lines;
    for (const auto& r : sim.recent) lines.push_back(json::string(r));
    return {200, json::serialize(lines), {}, {}};
  }
  if (method == "GET" && path == "/resource") {
    const auto* v = sim.store.find(param(target, "path"));
    return v ? Reply{200, json::serialize(*v), {}, {}} : error_reply(404, "no such resource");
  }
  if (method != "POST") return error_reply(404, "unknown control endpoint");
  if (path == "/resource") {
    sim.store.put(Store::normalize(param(target, "path")), parsed);
  } else if (path == "/delete") {
    sim.store.erase(Store::normalize(param(target, "path")));
  } else if (path == "/reset_stats") {
    reset_stats(sim);
  } else if (path == "/serialize") {
    const auto* on = o.if_contains("on");
    if (!on || !on->is_bool()) return error_reply(400, R"(expected {"on":true|false})");
    sim.options.serialize = on->as_bool();
  } else if (path == "/latency_profile") {
    return set_latency_profile(sim, o);
  } else if (path == "/fault") {
    return set_fault(sim, o);
  } else if (path == "/latency") {
    const std::chrono::milliseconds ms(num(o, "ms", 0));
    auto fragment = str(o, "path");
    if (fragment.empty()) {
      sim.options.latency = ms;
    } else {
      sim.path_latency.emplace_back(fragment, ms);
    }
  } else if (path == "/page_size") {
    sim.store.page_size = std::size_t(std::max<std::int64_t>(0, num(o, "members", 0)));
    const auto* links = o.if_contains("next_link");
    sim.store.page_links = !links || !links->is_bool() || links->as_bool();
  } else if (path == "/etag_header") {
    const auto* on = o.if_contains("on");
    if (!on || !on->is_bool()) return error_reply(400, R"(expected {"on":true|false})");
    sim.etag_header = on->as_bool();
  } else if (path == "/session_location") {
    sim.session_location_prefix = str(o, "prefix");
  } else if (path == "/reboot") {
    sim.reboot();
  } else if (path == "/expire_sessions") {
    for (const auto& [token, s] : sim.sessions) sim.store.erase(s.uri);
    sim.sessions.clear();
  } else {
    return error_reply(404, "unknown control endpoint");
  }
  return {200, "{}", {}, {}};
}

awaitable<void> run_control(Sim& sim, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, control_awaitable);
    if (ec) co_return;
    auto reply =
        route(sim, std::string(req.method_string()), std::string(req.target()), req.body());
    http::response<http::string_body> res{http::status(reply.status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(reply.body);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, control_awaitable);
    if (wec || !req.keep_alive()) co_return;
  }
}

}  // namespace

void spawn_control_connection(Sim& sim, tcp::socket socket) {
  asio::co_spawn(sim.io, run_control(sim, std::move(socket)), asio::detached);
}

}  // namespace bmcsim
