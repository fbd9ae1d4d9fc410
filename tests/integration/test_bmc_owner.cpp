// bmcquietd against bmcsim: one owner per BMC (lib/bmc). The session outlives
// a reload that keeps `bmc:`, ends on a reload that changes it and on stop
// (even with a poll in flight), the clients exist whenever any consumer does,
// their series leave with the BMC, and bmcquiet_bmc_up follows whichever
// consumer last talked to the BMC.
#include <sys/stat.h>

#include <signal.h>

#include <memory>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "bmc/bmc.hpp"
#include "metrics/metrics.hpp"
#include "support/bmcsim.hpp"
#include "support/ipmi_sim.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kQuiet =
    "  interrupts:\n    enabled: false\n  smi:\n    enabled: false\n"
    "  tsc_gap:\n    enabled: false\n";
constexpr const char* kRedfishOnly =
    "  redfish:\n    interval: 300ms\n  policy:\n    enabled: false\n";
constexpr const char* kPolicyOnly =
    "  redfish:\n    enabled: false\n  policy:\n    interval: 300ms\n";

bool up(const std::string& scrape) { return sample_value(scrape, "bmcquiet_bmc_up") == 1.0; }

class Rig {
 public:
  // Writes the config (bmc: with redfish_extra, these collectors); start() runs it.
  explicit Rig(const std::string& collectors, const std::string& redfish_extra = "")
      : sim({fixture_dir("redfish/supermicro")}), notify_(dir.path()) {
    password_ = dir.write("password", "secret");
    ::chmod(password_.c_str(), 0600);
    write_config(bmc(redfish_extra), collectors);
  }
  ~Rig() {
    if (daemon_) daemon_->signal(SIGKILL);
  }

  // `bmc:` pointing at the simulator; extra lines go under redfish.
  std::string bmc(const std::string& extra = "") const {
    return "bmc:\n  redfish:\n    url: " + sim.url() +
           "\n    host_interface: false\n    insecure: true\n    username: admin\n"
           "    password_credential: \"\"\n    password_file: " +
           password_ + "\n    backoff_initial: 0s\n    backoff_max: 0s\n" + extra;
  }

  void write_config(const std::string& bmc_section, const std::string& collectors) const {
    dir.write("bmcquiet.yaml", "paths:\n  procfs: " + dir.path() + "/proc\n  sysfs: " + dir.path() +
                                   "/sys\n  state: " + dir.path() + "/state\n" + bmc_section +
                                   "collectors:\n" + kQuiet + collectors);
  }

  // The daemon's stderr goes to log() (exec: signals reach the daemon itself).
  void start() {
    daemon_ = std::make_unique<Process>(
        std::vector<std::string>{"/bin/sh", "-c",
                                 "exec \"$0\" --config \"$1\" --listen \"$2\" 2>\"$3\"",
                                 built_binary("daemon/bmcquietd"), dir.path() + "/bmcquiet.yaml",
                                 "127.0.0.1:" + std::to_string(port_), dir.path() + "/daemon.log"},
        std::map<std::string, std::string>{{"NOTIFY_SOCKET", notify_.path()}});
    REQUIRE(notify_.wait_for("READY=1", 10s));
  }
  std::string start_until_up() {
    start();
    auto scrape = scrape_until(up);
    REQUIRE(up(scrape));
    return scrape;
  }
  // The exit status and how long the daemon took to stop.
  std::pair<std::optional<int>, std::chrono::steady_clock::duration> stop() {
    const auto t0 = std::chrono::steady_clock::now();
    daemon_->signal(SIGTERM);
    auto status = daemon_->wait(5s);
    return {status, std::chrono::steady_clock::now() - t0};
  }

  void reload() {
    daemon_->signal(SIGHUP);
    REQUIRE(notify_.wait_for("RELOADING=1", 5s));
    auto ready = notify_.wait_for("READY=1", 5s);
    REQUIRE(ready);
    REQUIRE(ready->find("reload failed") == std::string::npos);
  }

  std::string log() const { return read_file(dir.path() + "/daemon.log"); }
  std::string scrape() const {
    return http_get("http://127.0.0.1:" + std::to_string(port_) + "/metrics").body;
  }
  template <class Pred>
  std::string scrape_until(Pred pred, std::chrono::milliseconds limit = 10s) const {
    const auto until = std::chrono::steady_clock::now() + limit;
    auto body = scrape();
    while (!pred(body) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(50ms);
      body = scrape();
    }
    return body;
  }
  bool stat_reaches(const std::string& name, double value, std::chrono::milliseconds limit) const {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (sim.stat(name) < value && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(50ms);
    return sim.stat(name) >= value;
  }

  TempDir dir;
  BmcSim sim;

 private:
  NotifySocket notify_;
  std::string password_;
  int port_ = free_tcp_port();
  std::unique_ptr<Process> daemon_;
};

const std::string kTemp = R"(bmcquiet_temperature_celsius{chassis="1",id="0",sensor="CPU1 Temp"})";
const std::string kGets = R"(bmcquiet_redfish_requests_total{method="GET"})";
const std::string kClientInfo = R"(bmcquiet_redfish_client_info{auth="session",tls="plaintext"})";

}  // namespace

TEST_CASE("reload keeps the BMC session when bmc: is unchanged, and ends it when it changes",
          "[bmc][redfish][daemon]") {
  Rig rig(kRedfishOnly);
  rig.start_until_up();
  CHECK(rig.sim.stat("logins") == 1);

  // The same section (a comment added), another collector's keys changed.
  rig.write_config("# the same BMC\n" + rig.bmc(), std::string(kRedfishOnly) + "  dcmi: {}\n");
  rig.reload();
  const auto gets = sample_value(rig.scrape(), kGets).value_or(0);
  auto after = rig.scrape_until(
      [&](const std::string& s) { return sample_value(s, kGets).value_or(0) > gets + 3 && up(s); });
  CHECK(sample_value(after, kGets).value_or(0) > gets + 3);  // polls go on, same counters
  CHECK(sample_value(after, kTemp) == 46.0);
  CHECK(sample_value(after, kClientInfo) == 1.0);
  CHECK(rig.sim.stat("logins") == 1);  // the same session
  CHECK(rig.sim.stat("logouts") == 0);

  // Another setting of the BMC: new clients, the old session ended.
  rig.write_config(rig.bmc("    request_timeout: 5s\n"), kRedfishOnly);
  rig.reload();
  CHECK(rig.stat_reaches("logouts", 1, 5s));
  CHECK(rig.stat_reaches("logins", 2, 5s));
  auto changed = rig.scrape_until(
      [](const std::string& s) { return sample_value(s, kTemp) == 46.0 && up(s); });
  CHECK(sample_value(changed, kTemp) == 46.0);
  CHECK(sample_value(changed, kClientInfo) == 1.0);
  CHECK(rig.sim.stat("active_sessions") == 1);

  REQUIRE(rig.stop().first);
  CHECK(rig.sim.stat("logouts") == 2);
  CHECK(rig.sim.stat("active_sessions") == 0);
}

TEST_CASE("SIGTERM during a poll ends the BMC session within the stop budget",
          "[bmc][redfish][daemon]") {
  Rig rig(kRedfishOnly, "    request_timeout: 30s\n    poll_deadline: 60s\n");
  rig.sim.latency(10000, "/Thermal");  // read by every poll
  rig.start();
  REQUIRE(rig.stat_reaches("logins", 1, 10s));
  std::this_thread::sleep_for(1s);  // the first poll now waits on Thermal
  CHECK(rig.sim.stat("logouts") == 0);

  const auto [status, took] = rig.stop();
  REQUIRE(status);
  CHECK(*status == 0);
  CHECK(took < 2500ms);
  INFO(rig.log());
  CHECK(rig.stat_reaches("logouts", 1, 1s));
  CHECK(rig.sim.stat("active_sessions") == 0);
}

TEST_CASE("the policy alone starts the Redfish client: TLS warning and client info",
          "[bmc][redfish][daemon]") {
  Rig rig(kPolicyOnly);
  rig.start();
  auto scrape = rig.scrape_until(
      [](const std::string& s) { return sample_value(s, kClientInfo).has_value(); });
  CHECK(sample_value(scrape, kClientInfo) == 1.0);
  CHECK_FALSE(sample_value(scrape, R"(bmcquiet_collector_up{collector="redfish"})"));
  CHECK(rig.log().find("Redfish TLS verification is OFF") != std::string::npos);
  CHECK(rig.stat_reaches("logins", 1, 10s));  // and the policy uses it

  REQUIRE(rig.stop().first);
  CHECK(rig.sim.stat("logouts") == 1);
}

TEST_CASE("a reload that removes bmc: drops every series of its clients and ends the session",
          "[bmc][redfish][daemon]") {
  Rig rig(kRedfishOnly);
  auto before = rig.start_until_up();
  CHECK(before.find("bmcquiet_redfish_request_duration_seconds_bucket") != std::string::npos);
  CHECK(sample_value(before, kClientInfo) == 1.0);

  rig.write_config("", kRedfishOnly);
  rig.reload();
  CHECK(rig.stat_reaches("logouts", 1, 5s));
  // Dropped once the old owner finished (the DELETE above), moments later.
  auto after = rig.scrape_until(
      [](const std::string& s) { return s.find("bmcquiet_redfish_") == std::string::npos; }, 5s);
  INFO(after);
  CHECK(after.find("bmcquiet_redfish_") == std::string::npos);
  CHECK_FALSE(sample_value(after, "bmcquiet_bmc_up"));
  CHECK_FALSE(sample_value(after, kTemp));
  CHECK(sample_value(after, "bmcquiet_config_last_reload_successful") == 1.0);
}

TEST_CASE("bmc_up follows an outage and the recovery seen by the policy alone",
          "[bmc][redfish][daemon]") {
  Rig rig(kPolicyOnly, "    request_timeout: 400ms\n");
  rig.start_until_up();

  rig.sim.fault("status", -1, "", 500);
  auto down = rig.scrape_until(
      [](const std::string& s) { return sample_value(s, "bmcquiet_bmc_up") == 0.0; });
  CHECK(sample_value(down, "bmcquiet_bmc_up") == 0.0);

  rig.sim.clear_fault();
  const auto cleared = std::chrono::steady_clock::now();
  auto back = rig.scrape_until(up);
  CHECK(up(back));
  CHECK(std::chrono::steady_clock::now() - cleared < 3s);  // a policy interval or two
}

TEST_CASE("over IPMI alone the owner's health follows a silent BMC; its series leave with it",
          "[bmc][ipmi][ipmi_sim]") {
  if (auto why = IpmiSim::unavailable(); !why.empty()) {
    WARN("SKIPPED: " << why);
    return;
  }
  IpmiSim sim;
  REQUIRE(sim.start());
  boost::asio::io_context io;
  Metrics metrics;
  auto config = sim.client_config();
  config.timeout = 200ms;
  auto owner = bmc::Bmc::create(io, &metrics, {.ipmi = config});
  owner->borrow();
  auto client = owner->ipmi();
  REQUIRE(client);
  auto run_until = [&io](const auto& done) {
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!done() && std::chrono::steady_clock::now() < until) {
      if (io.stopped()) io.restart();
      io.run_one_for(100ms);
    }
    REQUIRE(done());
  };
  auto contact = [&] {
    std::optional<bool> answered;
    client->get_device_id([&](ipmi::Result<ipmi::DeviceId> r) { answered = r.ok(); });
    run_until([&] { return answered.has_value(); });
    owner->refresh_health();
    return sample_value(metrics.serialize(), "bmcquiet_bmc_up");
  };

  CHECK(contact() == 1.0);
  sim.pause();
  CHECK(contact() == 0.0);
  CHECK_FALSE(owner->last_contact().error.empty());
  sim.resume();
  CHECK(contact() == 1.0);
  CHECK(sample_value(metrics.serialize(), R"(bmcquiet_ipmi_requests_total{transport="lanplus"})") ==
        3.0);

  bool closed = false;
  owner->shutdown([&] { closed = true; });
  run_until([&] { return closed; });
  CHECK_FALSE(owner->ipmi());
  metrics.drop_owners_except({});  // what the daemon does once the owner is done
  const auto after = metrics.serialize();
  CHECK(after.find("bmcquiet_ipmi_") == std::string::npos);
  CHECK(after.find("bmcquiet_bmc_up") == std::string::npos);
  // A consumer that still held the client: its counters are looked up again,
  // never written through a reference the drop freed.
  std::optional<bool> late;
  client->get_device_id([&](ipmi::Result<ipmi::DeviceId> r) { late = r.ok(); });
  run_until([&] { return late.has_value(); });
  CHECK(*late);
}
