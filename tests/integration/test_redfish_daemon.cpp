// bmcquietd with bmc.redfish pointed at bmcsim: the collector's metrics, a
// fault turning bmc_up to 0 (readings vanish), recovery within one interval.
#include <sys/stat.h>

#include <signal.h>

#include <thread>

#include <catch2/catch.hpp>

#include "support/bmcsim.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

// Scrapes until pred(scrape) holds; returns the last scrape.
template <class Pred>
std::string scrape_until(const std::string& url, Pred pred, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  std::string body;
  while (std::chrono::steady_clock::now() < until) {
    body = http_get(url).body;
    if (pred(body)) break;
    std::this_thread::sleep_for(50ms);
  }
  return body;
}

}  // namespace

TEST_CASE("bmcquietd exports the BMC over Redfish and survives its faults", "[redfish][daemon]") {
  TempDir dir;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  auto password = dir.write("password", "secret");
  ::chmod(password.c_str(), 0600);
  const int port = free_tcp_port();
  auto config = dir.write("bmcquiet.yaml", "paths:\n  procfs: " + dir.path() + "/proc\n  sysfs: " +
                                               dir.path() + "/sys\n  state: " + dir.path() +
                                               "/state\n"
                                               "bmc:\n  redfish:\n    url: " +
                                               sim.url() +
                                               "\n    insecure: true\n    username: admin\n"
                                               "    password_file: " +
                                               password +
                                               "\n    request_timeout: 400ms\n"
                                               "    backoff_initial: 0s\n    backoff_max: 0s\n"
                                               "collectors:\n  redfish:\n    interval: 500ms\n");
  NotifySocket notify(dir.path());
  Process daemon({built_binary("daemon/bmcquietd"), "--config", config, "--listen",
                  "127.0.0.1:" + std::to_string(port)},
                 {{"NOTIFY_SOCKET", notify.path()}});
  REQUIRE(notify.wait_for("READY=1", 10s));
  const auto url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  const std::string temp = R"(bmcquiet_temperature_celsius{chassis="1",id="0",sensor="CPU1 Temp"})";

  // Log entries are counted apart from the polls: a later poll carries them.
  auto up = scrape_until(
      url,
      [](const std::string& s) {
        return sample_value(s, "bmcquiet_bmc_up") == 1.0 &&
               sample_value(s, R"(bmcquiet_sel_entries{log="manager/Log1"})");
      },
      10s);
  CHECK(sample_value(up, "bmcquiet_bmc_up") == 1.0);
  CHECK(sample_value(up, temp) == 46.0);
  CHECK(sample_value(up, R"(bmcquiet_fan_speed_rpm{chassis="1",fan="FAN1",id="0"})") == 4620.0);
  CHECK_FALSE(
      sample_value(up, R"(bmcquiet_fan_speed_rpm{chassis="1",fan="FAN3",id="2"})"));  // null
  CHECK(sample_value(up, R"(bmcquiet_power_consumed_watts{source="redfish"})") == 2161.0);
  // HostWatchdogTimer enabled with TimeoutAction None: it spares the host.
  CHECK(sample_value(up, "bmcquiet_host_watchdog_enabled") == 1.0);
  CHECK(sample_value(up, "bmcquiet_host_watchdog_resets_host") == 0.0);
  CHECK(sample_value(up, R"(bmcquiet_power_limit_active{source="redfish"})") == 0.0);
  CHECK_FALSE(sample_value(up, R"(bmcquiet_power_limit_watts{source="redfish"})"));
  // An OEM-typed maintenance log: counted under its kind, never as the SEL.
  CHECK(sample_value(up, R"(bmcquiet_log_entries{kind="other",log="manager/Log1"})") == 509.0);
  CHECK(sample_value(up, R"(bmcquiet_log_capacity_entries{kind="other",log="manager/Log1"})") ==
        512.0);
  CHECK_FALSE(sample_value(up, R"(bmcquiet_sel_entries{log="manager/Log1"})"));
  CHECK(
      sample_value(
          up,
          R"(bmcquiet_bmc_info{firmware="01.01.01",model="X13DEG-OAD",source="redfish",vendor="Supermicro"})") ==
      1.0);
  CHECK(sample_value(up, R"(bmcquiet_redfish_client_info{auth="session",tls="plaintext"})") == 1.0);
  CHECK(up.find("bmcquiet_redfish_request_duration_seconds_bucket") != std::string::npos);
  if (have_command("promtool")) {
    auto lint = run_command("promtool check metrics", up);
    INFO(lint.output);
    for (const char* mine : {"bmcquiet_bmc_", "temperature", "fan_speed", "redfish", "sel_",
                             "virtual_media", "power_limit_active"})
      CHECK(lint.output.find(mine) == std::string::npos);  // no complaint about these names
  }

  sim.fault("status", -1, "", 500);
  auto down = scrape_until(
      url, [](const std::string& s) { return sample_value(s, "bmcquiet_bmc_up") == 0.0; }, 10s);
  CHECK(sample_value(down, "bmcquiet_bmc_up") == 0.0);
  CHECK_FALSE(sample_value(down, temp));  // unknown now: absent, not stale, not 0
  CHECK(sample_value(down, R"(bmcquiet_collector_up{collector="redfish"})") == 0.0);
  CHECK(sample_value(down, R"(bmcquiet_redfish_request_failures_total{reason="http_5xx"})") > 0);

  sim.clear_fault();
  const auto cleared = std::chrono::steady_clock::now();
  auto back = scrape_until(
      url, [](const std::string& s) { return sample_value(s, "bmcquiet_bmc_up") == 1.0; }, 10s);
  CHECK(sample_value(back, "bmcquiet_bmc_up") == 1.0);
  CHECK(sample_value(back, temp) == 46.0);
  // One interval (500 ms) plus a poll: not the back-off cap, not a restart.
  CHECK(std::chrono::steady_clock::now() - cleared < 3s);

  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(5s));
  CHECK(sim.stat("logouts") >= 1);  // the session was ended on stop
}
