// The origin lock end to end: bmcsim serves a fixture into which the test
// injects links to another listener on 127.0.0.1 (a Chassis member, an action
// target, Links.Sessions, a session Location). The client refuses them, and
// the listener proves that not one connection, so not one credential, went
// there.
#include <catch2/catch.hpp>

#include "metrics/metrics.hpp"
#include "support/redfish_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kRefused = "bmcquiet_redfish_refused_links_total";

// A Supermicro-shaped BMC, another host its links may point at, and the
// metrics the client counts refusals in.
struct Hostile {
  RedfishRig rig;
  BmcSim sim{{fixture_dir("redfish/supermicro")}};
  ConnectionCounter elsewhere;
  Metrics metrics;

  double refused() const { return sample_value(metrics.serialize(), kRefused).value_or(-1); }

  // `path` with the first `from` replaced by `to` (both as they appear in
  // bmcsim's compact JSON), stored back into bmcsim.
  void rewrite(const std::string& path, const std::string& from, const std::string& to) {
    auto body = sim.resource(path);
    const auto at = body.find(from);
    REQUIRE(at != std::string::npos);
    body.replace(at, from.size(), to);
    sim.control("POST", "/resource?path=" + path, body);
  }

  // Not one connection reached the other host (one on its way has arrived
  // after 200 ms).
  void check_untouched() {
    rig.run_for(200ms);
    CHECK(elsewhere.connections() == 0);
  }
};

const std::string kLog = "/redfish/v1/Managers/1/LogServices/Log1";
const std::string kClear = kLog + "/Actions/LogService.ClearLog";

}  // namespace

TEST_CASE(
    "Redfish origin: a Chassis member and an action target on another host are never "
    "fetched",
    "[redfish][origin]") {
  Hostile h;
  auto options = h.rig.options(h.sim);
  SECTION("session auth") {}
  SECTION("basic auth") { options.auth = "basic"; }
  h.rewrite("/redfish/v1/Chassis", R"("Members":[)",
            R"("Members":[{"@odata.id":")" + h.elsewhere.url() + R"(/redfish/v1/Chassis/GPU1"},)");
  h.rewrite(kLog, R"("target":")" + kClear, R"("target":")" + h.elsewhere.url() + kClear);
  auto client = redfish::Client::create(h.rig.io, options, &h.metrics);
  client->start();
  CHECK(h.refused() == 0);  // exported before anything is refused

  std::shared_ptr<const redfish::Snapshot> snap;
  client->poll([&](auto s) { snap = s; });
  REQUIRE(h.rig.wait_until([&] { return snap != nullptr; }));
  CHECK(h.refused() >= 1);
  CHECK(snap->error.find("secret") == std::string::npos);
  // The BMC's bad link is skipped, not an outage: the rest is read and up.
  CHECK(snap->up);
  CHECK_FALSE(snap->temperatures.empty());
  const auto refused_before = h.refused();
  snap.reset();
  client->poll([&](auto s) { snap = s; });
  REQUIRE(h.rig.wait_until([&] { return snap != nullptr; }));
  CHECK(snap->up);
  CHECK(h.refused() == refused_before);  // discovery does not try the refused link again

  auto log = h.rig.call([&](auto done) { client->get(kLog, done); });
  REQUIRE(log.ok());
  const auto target = log.body["Actions"]["#LogService.ClearLog"]["target"].string().value_or("");
  REQUIRE(target == h.elsewhere.url() + kClear);
  const double before = h.refused();
  auto cleared = h.rig.call([&](auto done) { client->post(target, "{}", done); });
  CHECK(cleared.status == 0);
  CHECK(cleared.error == "refused link " + h.elsewhere.url() + kClear +
                             ": not the configured BMC origin " + h.sim.url() +
                             " (a BMC-supplied @odata.id or action target pointing elsewhere is "
                             "never fetched)");
  CHECK(h.refused() == before + 1);
  CHECK(h.sim.stat("writes") == 0);
  CHECK(client->health().answered);  // a refusal says nothing about the BMC

  h.check_untouched();
  h.elsewhere.poke();  // ... and a connection would have been counted
  CHECK(h.elsewhere.connections() == 1);
}

TEST_CASE("Redfish origin: Links.Sessions on another host fails the login, no password leaves",
          "[redfish][origin]") {
  Hostile h;
  const std::string sessions = "/redfish/v1/SessionService/Sessions";
  h.rewrite("/redfish/v1", R"("@odata.id":")" + sessions,
            R"("@odata.id":")" + h.elsewhere.url() + sessions);
  auto client = redfish::Client::create(h.rig.io, h.rig.options(h.sim), &h.metrics);
  auto r = h.rig.call([&](auto done) { client->get("/redfish/v1/Systems", done); });
  CHECK(r.status == 0);
  INFO(r.error);
  CHECK(r.error.find("Links.Sessions: refused link " + h.elsewhere.url() + sessions) !=
        std::string::npos);
  CHECK(r.error.find("secret") == std::string::npos);
  CHECK(h.refused() == 1);
  CHECK(h.sim.stat("logins") == 0);
  CHECK(h.sim.stat("logins_failed") == 0);
  h.check_untouched();
}

TEST_CASE("Redfish origin: a session Location on another host is never DELETEd there",
          "[redfish][origin]") {
  Hostile h;
  h.sim.control("POST", "/session_location", R"({"prefix":")" + h.elsewhere.url() + R"("})");
  auto client = redfish::Client::create(h.rig.io, h.rig.options(h.sim), &h.metrics);
  REQUIRE(h.rig.call([&](auto done) { client->get("/redfish/v1/Systems", done); }).ok());
  CHECK(h.refused() == 1);  // the Location
  bool stopped = false;
  client->shutdown([&] { stopped = true; });
  REQUIRE(h.rig.wait_until([&] { return stopped; }, 5s));
  CHECK(h.sim.stat("logouts") == 1);  // through the session's own @odata.id, on the BMC
  CHECK(h.sim.stat("active_sessions") == 0);
  h.check_untouched();
}

TEST_CASE("Redfish origin: a link carrying the password does not put it into an error",
          "[redfish][origin]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro"), nullptr, 0, 1800, "admin", "Pa55-red"});
  ConnectionCounter elsewhere;
  auto options = rig.options(sim, nullptr, "Pa55-red");
  options.auth = "basic";  // the BMC receives the password with every request
  auto client = redfish::Client::create(rig.io, options, nullptr);
  auto missing = rig.call([&](auto h) { client->get("/redfish/v1/Pa55-red", h); });
  CHECK(missing.status == 404);
  CHECK(missing.error.find("/redfish/v1/<redacted>: HTTP 404") != std::string::npos);
  auto away = rig.call([&](auto h) { client->get(elsewhere.url() + "/Pa55-red", h); });
  CHECK(away.error.find("refused link " + elsewhere.url() + "/<redacted>") != std::string::npos);
  CHECK(away.error.find("Pa55") == std::string::npos);
  CHECK(elsewhere.connections() == 0);
}

TEST_CASE("Redfish origin: a redirect elsewhere is an answer, never followed with credentials",
          "[redfish][origin]") {
  Hostile h;
  auto options = h.rig.options(h.sim);
  options.auth = "basic";  // curl would resend Authorization to a followed redirect
  auto client = redfish::Client::create(h.rig.io, options, &h.metrics);
  h.sim.control("POST", "/fault",
                R"({"kind":"status","status":302,"path":"/Systems","location":")" +
                    h.elsewhere.url() + R"(/redfish/v1/Systems"})");
  auto r = h.rig.call([&](auto done) { client->get("/redfish/v1/Systems", done); });
  CHECK(r.status == 302);
  CHECK(r.location == h.elsewhere.url() + "/redfish/v1/Systems");
  CHECK_FALSE(r.ok());
  CHECK(r.error.find("HTTP 302 to " + h.elsewhere.url() + "/redfish/v1/Systems, not followed") !=
        std::string::npos);
  CHECK(client->health().answered);
  h.check_untouched();
}

TEST_CASE("Redfish origin: absolute links to the BMC itself are followed", "[redfish][origin]") {
  Hostile h;
  const std::string chassis = "/redfish/v1/Chassis/1";
  // The same origin, spelt differently (scheme in upper case).
  auto url = h.sim.url();
  url.replace(0, 4, "HTTP");
  h.rewrite("/redfish/v1/Chassis", R"(")" + chassis + R"(")", R"(")" + url + chassis + R"(")");
  auto client = redfish::Client::create(h.rig.io, h.rig.options(h.sim), &h.metrics);
  client->start();
  std::shared_ptr<const redfish::Snapshot> snap;
  client->poll([&](auto s) { snap = s; });
  REQUIRE(h.rig.wait_until([&] { return snap != nullptr; }));
  INFO(snap->error);
  CHECK(snap->up);
  CHECK_FALSE(snap->temperatures.empty());
  CHECK(h.refused() == 0);
}
