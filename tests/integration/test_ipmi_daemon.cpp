// bmcquietd with bmc.ipmi (lanplus) against ipmi_sim and the DCMI module: the
// DCMI collector's metrics, a limit set from outside (ipmitool), and a BMC
// that stops answering (up=0, values absent, daemon serving) and comes back.
#include <signal.h>

#include <catch2/catch.hpp>

#include <thread>

#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"
#include "support/scrape.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

std::string daemon_config(const TempDir& dir, const IpmiSim& sim) {
  return "paths:\n  state: " + dir.path() +
         "/state\n"
         "bmc:\n  ipmi:\n    transport: lanplus\n    host: 127.0.0.1\n    port: " +
         std::to_string(sim.port()) + "\n    username: " + IpmiSim::kUser +
         "\n    password_credential: \"\"\n    password_file: " + sim.password_file() +
         "\n    cipher_suite: 3\n    timeout: 100ms\n    retries: 0\n"
         "collectors:\n  interrupts:\n    enabled: false\n  tsc_gap:\n    enabled: false\n"
         "  policy:\n    enabled: false\n  dcmi:\n    interval: 250ms\n";
}

}  // namespace

TEST_CASE("bmcquietd exports DCMI power over lanplus and survives a silent BMC",
          "[ipmi][ipmi_sim][daemon]") {
  if (auto why = IpmiSim::unavailable(); !why.empty()) {
    WARN("SKIPPED: " << why);
    return;
  }
  IpmiSim sim;
  REQUIRE(sim.start());
  TempDir dir;
  auto config = dir.write("bmcquiet.yaml", daemon_config(dir, sim));
  auto started = start_daemon(dir, config);
  auto& daemon = *started.process;
  const auto url = started.url;

  const std::string up = R"(bmcquiet_collector_up{collector="dcmi"})";
  auto body = scrape_until(url, up, 1.0);
  INFO(body);
  CHECK(sample_value(body, up) == 1.0);
  CHECK(sample_value(body, R"(bmcquiet_power_consumed_watts{source="dcmi"})") == 250.0);
  CHECK(sample_value(body, R"(bmcquiet_power_limit_active{source="dcmi"})") == 0.0);
  CHECK_FALSE(sample_value(body, R"(bmcquiet_power_limit_watts{source="dcmi"})"));
  CHECK(sample_value(body, R"(bmcquiet_ipmi_sessions_opened_total{transport="lanplus"})") == 1.0);

  // Someone caps the server from outside; the next collection shows it.
  auto set =
      run_command(sim.ipmitool("raw 0x2c 0x04 0xdc 0 0 0 0x11 0x2c 0x01 0x88 0x13 0 0 0 0 "
                               "0x0a 0x00"));
  INFO(set.output);
  REQUIRE(set.exit_code == 0);
  REQUIRE(run_command(sim.ipmitool("dcmi power activate")).exit_code == 0);
  const std::string limit = R"(bmcquiet_power_limit_watts{source="dcmi"})";
  body = scrape_until(url, limit, 300.0);
  CHECK(sample_value(body, limit) == 300.0);
  CHECK(sample_value(body, R"(bmcquiet_power_limit_active{source="dcmi"})") == 1.0);
  CHECK(body.find(R"(bmcquiet_power_limit_info{correction_time_seconds="5",)"
                  R"(exception_action="log_only",sampling_period_seconds="10",source="dcmi"} 1)") !=
        std::string::npos);

  // The BMC stops answering: up=0, the limit is unknown (absent), /metrics serves.
  sim.pause();
  body = scrape_until(url, up, 0.0);
  CHECK(sample_value(body, up) == 0.0);
  CHECK_FALSE(sample_value(body, limit));
  CHECK(daemon.running());
  CHECK(sample_value(body, R"(bmcquiet_ipmi_timeouts_total{transport="lanplus"})") >= 1.0);

  sim.resume();
  body = scrape_until(url, up, 1.0);
  CHECK(sample_value(body, up) == 1.0);
  CHECK(sample_value(body, limit) == 300.0);

  daemon.signal(SIGTERM);
  auto status = daemon.wait(5s);
  REQUIRE(status);
  CHECK(*status == 0);
}
