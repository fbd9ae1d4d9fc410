// The Redfish client, discovery and readers against bmcsim (a real HTTP(S)
// server speaking Redfish) serving the project's vendor fixtures.
#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "redfish/client.hpp"
#include "support/bmcsim.hpp"
#include "support/redfish_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;
using redfish::Snapshot;

namespace {

using Rig = RedfishRig;

std::optional<double> temperature(const Snapshot& s, const std::string& name) {
  for (const auto& t : s.temperatures)
    if (t.name == name) return t.value;
  return std::nullopt;
}

const redfish::FanReading* fan(const Snapshot& s, const std::string& name) {
  for (const auto& f : s.fans)
    if (f.name == name) return &f;
  return nullptr;
}

const redfish::LogFill* log_named(const Snapshot& s, const std::string& id) {
  for (const auto& l : s.logs)
    if (l.id == id) return &l;
  return nullptr;
}

}  // namespace

TEST_CASE("Redfish: a Dell-shaped BMC over HTTPS, many polls on one TLS handshake", "[redfish]") {
  Rig rig;
  auto pki = make_test_pki(rig.dir.path());
  if (!pki) return;
  BmcSim sim({fixture_dir("redfish/dell"), &*pki});
  auto options = rig.options(sim, &*pki);
  options.max_in_flight = 1;
  auto client = redfish::Client::create(rig.io, options, nullptr);
  std::shared_ptr<const Snapshot> s;
  for (int i = 0; i < 5; ++i) {
    s = rig.poll(*client);
    INFO(s->error);
    REQUIRE(s->up);
  }
  CHECK(sim.stat("tls_handshakes") == 1);
  CHECK(sim.stat("connections") == 1);
  CHECK(sim.stat("logins") == 1);
  CHECK(s->vendor == "Dell Inc.");
  CHECK(s->firmware == "6.00.30.00");
  CHECK(s->data_model == "legacy");
  CHECK(temperature(*s, "CPU1 Temp") == 51.0);
  CHECK_FALSE(temperature(*s, "CPU2 Temp"));  // null → absent, never 0
  REQUIRE(fan(*s, "Fan1A"));
  CHECK(fan(*s, "Fan1A")->rpm == 7680.0);
  CHECK(s->power_consumed_watts == 412.0);
  CHECK(s->power_limit.watts == 1400.0);
  REQUIRE(log_named(*s, "manager/Sel"));
  CHECK(log_named(*s, "manager/Sel")->entries == 5.0);
  CHECK(log_named(*s, "manager/Sel")->capacity == 1024.0);
  REQUIRE(log_named(*s, "manager/Lclog"));
  CHECK(log_named(*s, "manager/Sel")->kind == "sel");
  // The Lifecycle log is not the SEL: 500000 records is its size, not a SEL's.
  CHECK(log_named(*s, "manager/Lclog")->kind == "other");
  CHECK(log_named(*s, "manager/Lclog")->capacity == 500000.0);
  CHECK(s->media.size() == 2);
  CHECK(s->watchdog_enabled == false);
  CHECK(s->ipmi_sol_enabled == true);
  CHECK(s->requests < 12);  // a steady-state poll is a handful of requests
  rig.shutdown(*client);
  CHECK(sim.stat("logouts") == 1);
  CHECK(sim.stat("active_sessions") == 0);
}

TEST_CASE("Redfish: two in flight keep at most two connections", "[redfish]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/subsystem"), nullptr, 20});
  auto options = rig.options(sim);
  options.data_model = "subsystem";
  auto client = redfish::Client::create(rig.io, options, nullptr);
  for (int i = 0; i < 4; ++i) REQUIRE(rig.poll(*client)->up);
  CHECK(sim.stat("connections") <= 2);
  CHECK(sim.stat("in_flight_max") <= 2);
  CHECK(sim.stat("in_flight_max") >= 1);
}

TEST_CASE("Redfish: the newer data model, with and without $expand", "[redfish]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/subsystem")});
  auto check = [](const Snapshot& s) {
    INFO(s.error);
    REQUIRE(s.up);
    CHECK(s.data_model == "subsystem");
    CHECK(temperature(s, "CPU1Temp") == 44.0);
    CHECK(temperature(s, "IntakeTemp") == 24.5);
    CHECK_FALSE(temperature(s, "DIMM1Temp"));
    CHECK(s.power_consumed_watts == 374.0);
    CHECK(s.power_limit.watts == 500.0);
    CHECK(s.vendor == "Contoso");
    REQUIRE(log_named(s, "manager/Log"));
    CHECK(log_named(s, "manager/Log")->entries == 2.0);
    CHECK_FALSE(log_named(s, "manager/Huge")->capacity);
    REQUIRE(s.media.size() == 1);
    CHECK(s.media[0].inserted == true);
  };
  SECTION("expanded Sensors") {
    auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
    auto s = rig.poll_counted(*client);
    check(*s);
    REQUIRE(fan(*s, "FanBay1"));
    CHECK(fan(*s, "FanBay1")->ratio == Approx(0.45));
    CHECK(fan(*s, "FanBay2")->rpm == 2250.0);
  }
  SECTION("no $expand advertised: ThermalMetrics and member reads") {
    auto root = sim.resource("/redfish/v1");
    auto pos = root.find("\"ExpandAll\":true");
    REQUIRE(pos != std::string::npos);
    std::string patched = root;
    for (const char* key : {"\"ExpandAll\":true", "\"Levels\":true"}) {
      auto at = patched.find(key);
      patched.replace(at, std::string(key).size(),
                      std::string(key).substr(0, std::string(key).size() - 4) + "false");
    }
    sim.control("POST", "/resource?path=/redfish/v1", patched);
    auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
    auto s = rig.poll_counted(*client);
    check(*s);
    CHECK(rig.poll(*client)->requests < 12);  // after discovery: a handful per poll
  }
}

TEST_CASE("Redfish: vendor shapes (HPE, Supermicro, OpenBMC, unidentified)", "[redfish]") {
  Rig rig;
  SECTION("HPE: trailing slashes, fans in percent, LimitInWatts null = no cap") {
    BmcSim sim({fixture_dir("redfish/hpe")});
    auto s = rig.poll(*redfish::Client::create(rig.io, rig.options(sim), nullptr));
    INFO(s->error);
    REQUIRE(s->up);
    CHECK(fan(*s, "Fan 1")->ratio == Approx(0.31));
    CHECK_FALSE(fan(*s, "Fan 1")->rpm);
    CHECK(s->power_limit.known);
    CHECK_FALSE(s->power_limit.watts);
    CHECK(s->power_consumed_watts == 2750.0);
    CHECK_FALSE(s->watchdog_enabled);  // not reported
    REQUIRE(s->media.size() == 2);
  }
  SECTION("Supermicro: SEL nearly full") {
    BmcSim sim({fixture_dir("redfish/supermicro")});
    auto s = rig.poll_counted(*redfish::Client::create(rig.io, rig.options(sim), nullptr));
    REQUIRE(s->up);
    CHECK(s->vendor == "Supermicro");
    CHECK(log_named(*s, "manager/Log1")->entries == 509.0);
    CHECK(log_named(*s, "manager/Log1")->capacity == 512.0);
    CHECK_FALSE(fan(*s, "FAN3"));  // null reading
    CHECK(s->watchdog_enabled == true);
  }
  SECTION("OpenBMC: sparse tree, every optional part missing") {
    BmcSim sim({fixture_dir("redfish/openbmc")});
    auto s = rig.poll(*redfish::Client::create(rig.io, rig.options(sim), nullptr));
    INFO(s->error);
    REQUIRE(s->up);
    CHECK(s->temperatures.empty());
    CHECK_FALSE(s->vendor);
    CHECK(s->firmware == "2.15.0-dev");
    CHECK(s->ipmi_enabled == false);
    CHECK_FALSE(s->power_consumed_watts);
  }
  SECTION("unidentified vendor: IDs with slashes, nulls everywhere") {
    BmcSim sim({fixture_dir("redfish/unknown-vendor")});
    auto s = rig.poll(*redfish::Client::create(rig.io, rig.options(sim), nullptr));
    REQUIRE(s->up);
    CHECK(temperature(*s, "Ambient") == 22.0);
    CHECK(s->temperatures[0].chassis == "RackMount/Baseboard");
    CHECK_FALSE(s->power_consumed_watts);
    CHECK_FALSE(log_named(*s, "manager/SEL")->capacity);  // 0 is not a capacity
  }
}

TEST_CASE("Redfish: every fault gives up=0 without a crash and recovers on the next poll",
          "[redfish]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  auto options = rig.options(sim);
  options.request_timeout = 600ms;
  options.max_response_bytes = 1024 * 1024;
  auto client = redfish::Client::create(rig.io, options, nullptr);
  REQUIRE(rig.poll(*client)->up);
  for (const char* kind : {"status", "timeout", "reset", "malformed", "slow", "huge"}) {
    INFO(kind);
    sim.fault(kind, -1, "/Chassis/1/Thermal");
    auto down = rig.poll(*client);
    CHECK_FALSE(down->up);
    CHECK_FALSE(down->error.empty());
    sim.clear_fault();
    auto up = rig.poll(*client);
    INFO(up->error);
    CHECK(up->up);
    CHECK(temperature(*up, "CPU1 Temp") == 46.0);
  }
}

TEST_CASE("Redfish: a BMC reboot or expired session means one new login", "[redfish]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/dell")});
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  REQUIRE(rig.poll(*client)->up);
  sim.control("POST", "/expire_sessions");
  auto s = rig.poll(*client);
  INFO(s->error);
  CHECK(s->up);
  CHECK(sim.stat("logins") == 2);
  sim.control("POST", "/reboot");
  CHECK(rig.poll(*client)->up);  // the dropped connection or 401 is retried once
  if (!client->last_snapshot()->up) CHECK(rig.poll(*client)->up);
  CHECK(sim.stat("logins") == 3);
}

TEST_CASE("Redfish: a wrong password fails clearly and login backs off", "[redfish]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/dell")});
  auto options = rig.options(sim, nullptr, "wrong");
  auto client = redfish::Client::create(rig.io, options, nullptr);
  auto s = rig.poll(*client);
  CHECK_FALSE(s->up);
  CHECK(s->error.find("login as 'admin'") != std::string::npos);
  CHECK(s->error.find("wrong") == std::string::npos);  // never the secret
  rig.poll(*client);
  CHECK(sim.stat("logins_failed") == 1);  // the second poll did not try again yet
}

TEST_CASE("Redfish: a group-readable password file is refused", "[redfish]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/dell")});
  auto options = rig.options(sim);
  ::chmod(options.password_file.c_str(), 0644);
  auto s = rig.poll(*redfish::Client::create(rig.io, options, nullptr));
  CHECK_FALSE(s->up);
  CHECK(s->error.find("chmod 600") != std::string::npos);
  CHECK(sim.stat("requests") == 0);
}

TEST_CASE("Redfish: TLS verification, key pinning and the wrong certificate", "[redfish]") {
  Rig rig;
  auto pki = make_test_pki(rig.dir.path());
  if (!pki) return;
  BmcSim sim({fixture_dir("redfish/openbmc"), &*pki});
  auto base = rig.options(sim, &*pki);
  SECTION("no CA: refused") {
    base.ca_file.clear();
    auto s = rig.poll(*redfish::Client::create(rig.io, base, nullptr));
    CHECK_FALSE(s->up);
    CHECK(s->error.find("pinned_public_key") != std::string::npos);
  }
  SECTION("the pinned key is accepted without a CA") {
    base.ca_file.clear();
    base.pinned_public_key = pki->pin;
    auto s = rig.poll(*redfish::Client::create(rig.io, base, nullptr));
    INFO(s->error);
    CHECK(s->up);
  }
  SECTION("another pinned key is rejected") {
    base.pinned_public_key = pki->wrong_pin;
    auto s = rig.poll(*redfish::Client::create(rig.io, base, nullptr));
    CHECK_FALSE(s->up);
    CHECK(s->error.find("not the pinned one") != std::string::npos);
  }
  SECTION("a certificate not from the CA is rejected") {
    sim.fault("wrong_cert");
    auto s = rig.poll(*redfish::Client::create(rig.io, base, nullptr));
    CHECK_FALSE(s->up);
    CHECK(sim.stat("requests") == 0);
  }
}

TEST_CASE("Redfish: PATCH with If-Match and advertised actions change the BMC", "[redfish]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  const std::string fan_mode = "/redfish/v1/Managers/1/Oem/Supermicro/FanMode";
  auto got = rig.call([&](auto h) { client->get(fan_mode, h); });
  REQUIRE(got.ok());
  CHECK(got.body["Mode"].string() == "FullSpeed");
  REQUIRE_FALSE(got.etag.empty());
  auto patched =
      rig.call([&](auto h) { client->patch(fan_mode, R"({"Mode":"Optimal"})", got.etag, h); });
  CHECK(patched.ok());
  CHECK(patched.body["Mode"].string() == "Optimal");
  auto stale =
      rig.call([&](auto h) { client->patch(fan_mode, R"({"Mode":"HeavyIO"})", got.etag, h); });
  CHECK(stale.status == 412);
  CHECK_FALSE(stale.ok());
  auto s = rig.poll(*client);
  const auto* sel = log_named(*s, "manager/Log1");
  REQUIRE(sel);
  auto service = rig.call([&](auto h) { client->get(sel->path, h); });
  const auto clear_target = service.body["Actions"]["#LogService.ClearLog"]["target"].string();
  REQUIRE(clear_target);
  auto cleared = rig.call([&](auto h) { client->post(*clear_target, "{}", h); });
  CHECK(cleared.status == 204);
  CHECK(sim.resource(sel->entries_path).find("\"Members@odata.count\":0") != std::string::npos);
  CHECK(sim.stat("writes") == 3);
}

TEST_CASE("Redfish: a cached URL that 404s makes the next poll walk the links again", "[redfish]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  REQUIRE(rig.poll(*client)->up);
  // A firmware update moved Thermal: the old URL is gone, the chassis links the new one.
  const std::string old_url = "/redfish/v1/Chassis/1/Thermal";
  auto thermal = sim.resource(old_url);
  sim.control("POST", "/delete?path=" + old_url);
  sim.control("POST", "/resource?path=" + old_url + "2", thermal);
  auto chassis = sim.resource("/redfish/v1/Chassis/1");
  auto at = chassis.find("\"" + old_url + "\"");
  REQUIRE(at != std::string::npos);
  chassis.insert(at + old_url.size() + 1, "2");
  sim.control("POST", "/resource?path=/redfish/v1/Chassis/1", chassis);
  auto gone = rig.poll(*client);
  CHECK(gone->up);  // the BMC answered; what it answered makes the model stale
  CHECK_FALSE(gone->complete);
  CHECK(gone->error.find("404") != std::string::npos);
  auto again = rig.poll(*client);
  INFO(again->error);
  CHECK(again->up);
  CHECK(temperature(*again, "CPU1 Temp") == 46.0);
}

TEST_CASE("Redfish: the poll deadline and the back-off after failures", "[redfish]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/dell"), nullptr, 300});
  SECTION("a poll ends at its deadline even when every request is slow") {
    auto options = rig.options(sim);
    options.poll_deadline = 700ms;
    auto client = redfish::Client::create(rig.io, options, nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    auto s = rig.poll(*client);
    CHECK_FALSE(s->up);
    CHECK(s->error.find("poll deadline") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
  }
  SECTION("while backing off a poll sends one probe, and polls at once when it answers") {
    auto options = rig.options(sim);
    options.backoff_initial = 1min;
    options.backoff_max = 1min;
    auto client = redfish::Client::create(rig.io, options, nullptr);
    REQUIRE(rig.poll_counted(*client)->up);  // logged in (and logs counted) before the outage
    sim.fault("reset");
    CHECK_FALSE(rig.poll(*client)->up);
    sim.reset_stats();
    auto skipped = rig.poll(*client);
    CHECK_FALSE(skipped->up);
    CHECK(skipped->error.find("backing off") != std::string::npos);
    CHECK(sim.stat("requests") == 1);  // the probe of the service root, nothing else
    sim.clear_fault();
    auto back = rig.poll(*client);
    INFO(back->error);
    CHECK(back->up);
  }
}

TEST_CASE("Redfish: a session the BMC timed out is replaced by one new login", "[redfish]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/hpe"), nullptr, 0, 1});  // sessions expire after 1 s idle
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  REQUIRE(rig.poll(*client)->up);
  std::this_thread::sleep_for(1200ms);
  auto s = rig.poll(*client);
  INFO(s->error);
  CHECK(s->up);
  CHECK(sim.stat("logins") == 2);
  CHECK(sim.stat("unauthorized") >= 1);
}

TEST_CASE("Redfish: polls asked for at once share one walk of the BMC", "[redfish]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/dell")});
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  REQUIRE(rig.poll_counted(*client)->up);  // the log count is done: only polls from here
  sim.reset_stats();
  std::shared_ptr<const Snapshot> a, b;
  client->poll([&](auto s) { a = s; });
  client->poll([&](auto s) { b = s; });
  rig.run_until([&] { return a && b; });
  CHECK(a == b);
  CHECK(a->up);
  CHECK(sim.stat("requests") == a->requests);
}
