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

double refused(const Metrics& metrics) {
  return sample_value(metrics.serialize(), kRefused).value_or(-1);
}

// `resource` with the first `from` replaced by `to` (both as they appear in
// bmcsim's compact JSON), stored back into bmcsim.
void rewrite(const BmcSim& sim, const std::string& path, const std::string& from,
             const std::string& to) {
  auto body = sim.resource(path);
  const auto at = body.find(from);
  REQUIRE(at != std::string::npos);
  body.replace(at, from.size(), to);
  sim.control("POST", "/resource?path=" + path, body);
}

const std::string kLog = "/redfish/v1/Managers/1/LogServices/Log1";
const std::string kClear = kLog + "/Actions/LogService.ClearLog";

}  // namespace

TEST_CASE(
    "Redfish origin: a Chassis member and an action target on another host are never "
    "fetched",
    "[redfish][origin]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  ConnectionCounter elsewhere;
  Metrics metrics;
  auto options = rig.options(sim);
  SECTION("session auth") {}
  SECTION("basic auth") { options.auth = "basic"; }
  rewrite(sim, "/redfish/v1/Chassis", R"("Members":[)",
          R"("Members":[{"@odata.id":")" + elsewhere.url() + R"(/redfish/v1/Chassis/GPU1"},)");
  rewrite(sim, kLog, R"("target":")" + kClear, R"("target":")" + elsewhere.url() + kClear);
  auto client = redfish::Client::create(rig.io, options, &metrics);
  client->start();
  CHECK(refused(metrics) == 0);  // exported before anything is refused

  std::shared_ptr<const redfish::Snapshot> snap;
  client->poll([&](auto s) { snap = s; });
  REQUIRE(rig.run_until([&] { return snap != nullptr; }));
  CHECK(refused(metrics) >= 1);
  CHECK(snap->error.find("secret") == std::string::npos);

  auto log = rig.call([&](auto h) { client->get(kLog, h); });
  REQUIRE(log.ok());
  const auto target = log.body["Actions"]["#LogService.ClearLog"]["target"].string().value_or("");
  REQUIRE(target == elsewhere.url() + kClear);
  const double before = refused(metrics);
  auto cleared = rig.call([&](auto h) { client->post(target, "{}", h); });
  CHECK(cleared.status == 0);
  CHECK(cleared.error == "refused link " + elsewhere.url() + kClear +
                             ": not the configured BMC origin " + sim.url() +
                             " (a BMC-supplied @odata.id or action target pointing elsewhere is "
                             "never fetched)");
  CHECK(refused(metrics) == before + 1);
  CHECK(sim.stat("writes") == 0);
  CHECK(client->health().answered);  // a refusal says nothing about the BMC

  rig.run_for(200ms);  // a connection on its way would have arrived by now
  CHECK(elsewhere.connections() == 0);
  elsewhere.poke();  // ... and would have been counted
  CHECK(elsewhere.connections() == 1);
}

TEST_CASE("Redfish origin: Links.Sessions on another host fails the login, no password leaves",
          "[redfish][origin]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  ConnectionCounter elsewhere;
  Metrics metrics;
  const std::string sessions = "/redfish/v1/SessionService/Sessions";
  rewrite(sim, "/redfish/v1", R"("@odata.id":")" + sessions,
          R"("@odata.id":")" + elsewhere.url() + sessions);
  auto client = redfish::Client::create(rig.io, rig.options(sim), &metrics);
  auto r = rig.call([&](auto h) { client->get("/redfish/v1/Systems", h); });
  CHECK(r.status == 0);
  INFO(r.error);
  CHECK(r.error.find("Links.Sessions: refused link " + elsewhere.url() + sessions) !=
        std::string::npos);
  CHECK(r.error.find("secret") == std::string::npos);
  CHECK(refused(metrics) == 1);
  CHECK(sim.stat("logins") == 0);
  CHECK(sim.stat("logins_failed") == 0);
  rig.run_for(200ms);
  CHECK(elsewhere.connections() == 0);
}

TEST_CASE("Redfish origin: a session Location on another host is never DELETEd there",
          "[redfish][origin]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  ConnectionCounter elsewhere;
  sim.control("POST", "/session_location", R"({"prefix":")" + elsewhere.url() + R"("})");
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  REQUIRE(rig.call([&](auto h) { client->get("/redfish/v1/Systems", h); }).ok());
  bool done = false;
  client->shutdown([&] { done = true; });
  REQUIRE(rig.run_until([&] { return done; }, 5s));
  CHECK(sim.stat("logouts") == 1);  // through the session's own @odata.id, on the BMC
  CHECK(sim.stat("active_sessions") == 0);
  rig.run_for(200ms);
  CHECK(elsewhere.connections() == 0);
}

TEST_CASE("Redfish origin: a link carrying the password does not put it into an error",
          "[redfish][origin]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro"), nullptr, 0, 1800, "admin", "Pa55-red"});
  ConnectionCounter elsewhere;
  auto options = rig.options(sim, "Pa55-red");
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

TEST_CASE("Redfish origin: absolute links to the BMC itself are followed", "[redfish][origin]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  const std::string chassis = "/redfish/v1/Chassis/1";
  // The same origin, spelt differently (scheme in upper case).
  auto url = sim.url();
  url.replace(0, 4, "HTTP");
  rewrite(sim, "/redfish/v1/Chassis", R"(")" + chassis + R"(")", R"(")" + url + chassis + R"(")");
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  std::shared_ptr<const redfish::Snapshot> snap;
  client->poll([&](auto s) { snap = s; });
  REQUIRE(rig.run_until([&] { return snap != nullptr; }));
  INFO(snap->error);
  CHECK(snap->up);
  CHECK_FALSE(snap->temperatures.empty());
}
