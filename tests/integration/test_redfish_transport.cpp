// The Redfish transport against bmcsim: a shutdown that ends the session
// within its budget whatever is in flight (a slow request, a login on the
// wire, a BMC that never answers), and the health every answer updates.
#include <catch2/catch.hpp>

#include "support/redfish_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// Runs the client's loop until bmcsim has read `count` requests in all.
void until_bmc_read(RedfishRig& rig, const BmcSim& sim, double count) {
  REQUIRE(rig.wait_until([&] { return sim.stat("requests") >= count; }, 5s));
}

std::size_t lines_of(const BmcSim& sim, const std::string& fragment) {
  const auto recent = sim.control("GET", "/recent");
  std::size_t n = 0;
  for (auto at = recent.find(fragment); at != std::string::npos; at = recent.find(fragment, at + 1))
    ++n;
  return n;
}

struct Stopped {
  bool done = false;
  Clock::duration took{};
};

Stopped stop(RedfishRig& rig, redfish::Client& client) {
  Stopped out;
  const auto t0 = Clock::now();
  client.shutdown([&] {
    out.done = true;
    out.took = Clock::now() - t0;
  });
  rig.run_until([&] { return out.done; }, 10s);
  return out;
}

}  // namespace

TEST_CASE("Redfish shutdown: a slow request in flight does not hold back the session DELETE",
          "[redfish][shutdown]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  auto options = rig.options(sim);
  options.max_in_flight = 1;  // the DELETE would queue behind the slow request
  options.request_timeout = 15s;
  auto client = redfish::Client::create(rig.io, options, nullptr);
  REQUIRE(rig.call([&](auto h) { client->get("/redfish/v1/Systems", h); }).ok());
  sim.latency(10000, "/Chassis/1/Thermal");  // an iDRAC's SEL takes 18 s
  std::optional<redfish::HttpResponse> slow, queued;
  client->get("/redfish/v1/Chassis/1/Thermal", [&](auto r) { slow = r; });
  client->get("/redfish/v1/Managers/1", [&](auto r) { queued = r; });
  until_bmc_read(rig, sim, sim.stat("requests") + 1);

  auto stopped = stop(rig, *client);
  REQUIRE(stopped.done);
  CHECK(stopped.took < 2500ms);
  CHECK(sim.stat("logouts") == 1);
  CHECK(sim.stat("active_sessions") == 0);
  REQUIRE(rig.wait_until([&] { return slow && queued; }, 1s));
  CHECK(slow->status == 0);
  CHECK(slow->error.find("shutting down") != std::string::npos);
  CHECK(queued->error.find("shutting down") != std::string::npos);
  auto late = rig.call([&](auto h) { client->get("/redfish/v1", h); });
  CHECK(late.error.find("shutting down") != std::string::npos);
}

TEST_CASE("Redfish shutdown: a session whose login is still on the wire is ended too",
          "[redfish][shutdown]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  // The login answer (and the DELETE, same path) take 700 ms: it arrives after shutdown began.
  sim.latency(700, "/SessionService/Sessions");
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  std::optional<redfish::HttpResponse> waiting;
  client->get("/redfish/v1/Systems", [&](auto r) { waiting = r; });
  until_bmc_read(rig, sim, 2);  // the service root, then the login POST

  auto stopped = stop(rig, *client);
  REQUIRE(stopped.done);
  CHECK(stopped.took < 2500ms);
  CHECK(sim.stat("logins") == 1);
  CHECK(sim.stat("logouts") == 1);
  CHECK(sim.stat("active_sessions") == 0);
  REQUIRE(waiting);
  CHECK(waiting->error.find("shutting down") != std::string::npos);
}

TEST_CASE("Redfish shutdown: done runs within the budget when the BMC never answers",
          "[redfish][shutdown]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  auto options = rig.options(sim);
  options.request_timeout = 10s;  // only the shutdown budget ends the DELETE
  auto client = redfish::Client::create(rig.io, options, nullptr);
  REQUIRE(rig.call([&](auto h) { client->get("/redfish/v1/Systems", h); }).ok());
  sim.fault("timeout", -1, "/SessionService/Sessions");  // the DELETE is read, never answered

  auto stopped = stop(rig, *client);
  REQUIRE(stopped.done);
  CHECK(stopped.took < 2500ms);
  CHECK(stopped.took > 1800ms);  // it did wait for the BMC, up to the 2 s budget
  bool again = false;
  client->shutdown([&] { again = true; });  // a second stop is answered, not hung
  CHECK(rig.wait_until([&] { return again; }, 1s));
  const auto t0 = Clock::now();
  client.reset();  // the budget was spent: the destructor does not try again
  CHECK(Clock::now() - t0 < 200ms);
}

TEST_CASE("Redfish shutdown: a client that never logged in stops at once, without a request",
          "[redfish][shutdown]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  auto stopped = stop(rig, *client);
  REQUIRE(stopped.done);
  CHECK(stopped.took < 100ms);
  CHECK(sim.stat("requests") == 0);
}

TEST_CASE("Redfish health: every answer updates it, a 4xx is an answer, 5xx and silence are not",
          "[redfish][health]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  auto options = rig.options(sim);
  options.request_timeout = 600ms;
  auto client = redfish::Client::create(rig.io, options, nullptr);
  CHECK(client->health().at == Clock::time_point{});  // never asked
  CHECK_FALSE(client->health().answered);
  auto get = [&](const std::string& path) {
    return rig.call([&](auto h) { client->get(path, h); });
  };

  const auto t0 = Clock::now();
  REQUIRE(get("/redfish/v1/Systems").ok());
  auto h = client->health();
  CHECK(h.answered);
  CHECK(h.error.empty());
  CHECK(h.at >= t0);
  CHECK(h.consecutive_failures == 0);

  sim.fault("status", -1, "/Systems", 503);
  get("/redfish/v1/Systems");
  get("/redfish/v1/Systems");
  h = client->health();
  CHECK_FALSE(h.answered);
  CHECK(h.error.find("HTTP 503") != std::string::npos);
  CHECK(h.consecutive_failures == 2);

  sim.fault("timeout", -1, "/Systems");
  get("/redfish/v1/Systems");
  h = client->health();
  CHECK_FALSE(h.answered);
  CHECK(h.error.find("no complete answer within 600 ms") != std::string::npos);
  CHECK(h.consecutive_failures == 3);

  sim.clear_fault();
  CHECK(get("/redfish/v1/NoSuchThing").status == 404);
  h = client->health();
  CHECK(h.answered);
  CHECK(h.error.empty());
  CHECK(h.consecutive_failures == 0);

  sim.fault("reset");  // a poll, not a caller's get: the same health
  std::shared_ptr<const redfish::Snapshot> snap;
  client->poll([&](auto s) { snap = s; });
  REQUIRE(rig.wait_until([&] { return snap != nullptr; }));
  CHECK_FALSE(snap->up);
  CHECK_FALSE(client->health().answered);
  CHECK(client->health().consecutive_failures >= 1);
}

TEST_CASE("Redfish login: a BMC down at start is up within two polls of coming back",
          "[redfish][login]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  auto options = rig.options(sim);
  options.request_timeout = 500ms;
  // With a poll back-off, a poll while backing off first probes the service
  // root and logs in only when it answers.
  const bool backing_off = GENERATE(false, true);
  INFO("poll back-off " << backing_off);
  if (backing_off) {
    options.backoff_initial = 100ms;
    options.backoff_max = 1h;
  }
  auto client = redfish::Client::create(rig.io, options, nullptr);
  // Every poll tries to log in: no answer at all, then a BMC that serves its
  // root while its session service still boots (503). Eight failed logins
  // would have grown a login back-off past two minutes.
  sim.fault("reset");
  for (int i = 0; i < 4; ++i) CHECK_FALSE(rig.poll(*client)->up);
  sim.reset_stats();
  sim.fault("status", -1, "/SessionService/Sessions", 503);
  for (int i = 0; i < 4; ++i) CHECK_FALSE(rig.poll(*client)->up);
  // One login per poll: the root answers, so even a backing-off poll tries.
  CHECK(lines_of(sim, "POST /redfish/v1/SessionService/Sessions") == 4);
  sim.clear_fault();
  const auto back = Clock::now();
  auto s = rig.poll(*client);
  if (!s->up) s = rig.poll(*client);
  INFO(s->error);
  CHECK(s->up);
  CHECK(s->temperatures.size() == 3);
  CHECK(Clock::now() - back < 5s);
  CHECK(sim.stat("logins") == 1);
}

TEST_CASE("Redfish login: refused credentials back off, the account is not hammered",
          "[redfish][login]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  auto options = rig.options(sim, nullptr, "wrong");
  options.backoff_initial = 5s;
  options.backoff_max = 5s;
  auto client = redfish::Client::create(rig.io, options, nullptr);
  auto first = rig.poll(*client);
  CHECK_FALSE(first->up);
  CHECK(first->error.find("HTTP 401") != std::string::npos);
  REQUIRE(sim.stat("logins_failed") == 1);
  // The next calls within the back-off fail at once with the same reason.
  auto r = rig.call([&](auto h) { client->get("/redfish/v1/Systems", h); });
  CHECK_FALSE(r.ok());
  CHECK(r.error.find("next attempt in") != std::string::npos);
  CHECK(r.error.find("wrong") == std::string::npos);  // the password never shows
  CHECK(sim.stat("logins_failed") == 1);
}
