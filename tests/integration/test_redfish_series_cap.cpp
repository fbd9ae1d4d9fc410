// A BMC with 15,000 sensors (generated at run time, never committed) against
// bmcquietd: bmc.redfish.max_series caps what is exported, the counter says
// what was left out, one log line says so, and memory stays bounded.
#include <sys/stat.h>

#include <signal.h>

#include <thread>

#include <catch2/catch.hpp>

#include "support/bmcsim.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

std::size_t count_series(const std::string& scrape, const std::string& name) {
  std::size_t n = 0;
  for (auto at = scrape.find("\n" + name + "{"); at != std::string::npos;
       at = scrape.find("\n" + name + "{", at + 1))
    ++n;
  return n;
}

std::size_t count_lines(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

bool sanitized() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#else
  return false;
#endif
}

}  // namespace

TEST_CASE("a BMC with 15,000 sensors is capped at bmc.redfish.max_series, counted, logged once",
          "[redfish][daemon][limits]") {
  TempDir dir;
  auto gen = run_command("python3 " + fixture_dir("redfish/generate.py") + " --large " +
                         dir.path() + "/bmc 15000");
  REQUIRE(gen.exit_code == 0);
  BmcSim sim({dir.path() + "/bmc"});
  auto password = dir.write("password", "secret");
  ::chmod(password.c_str(), 0600);
  const int port = free_tcp_port();
  auto config = dir.write("bmcquiet.yaml",
                          "paths:\n  procfs: " + dir.path() + "/proc\n  sysfs: " + dir.path() +
                              "/sys\n  state: " + dir.path() +
                              "/state\nbmc:\n  redfish:\n    url: " + sim.url() +
                              "\n    insecure: true\n    username: admin\n"
                              "    password_file: " +
                              password + "\ncollectors:\n  redfish:\n    interval: 1s\n");
  const auto log = dir.path() + "/daemon.log";
  NotifySocket notify(dir.path());
  Process daemon({"/bin/sh", "-c",
                  "exec " + built_binary("daemon/bmcquietd") + " --config " + config +
                      " --listen 127.0.0.1:" + std::to_string(port) + " 2>" + log},
                 {{"NOTIFY_SOCKET", notify.path()}});
  REQUIRE(notify.wait_for("READY=1", 10s));
  const auto url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  const std::string temps_dropped =
      R"(bmcquiet_redfish_series_dropped_total{metric="bmcquiet_temperature_celsius"})";

  // Three polls at least, the last ones with the SEL counted (its series
  // join in a later poll and take their share of the cap).
  std::string scrape;
  double last = 0, delta = 0;
  int polls = 0;
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < until && polls < 3) {
    scrape = http_get(url).body;
    const double now = sample_value(scrape, temps_dropped).value_or(0);
    if (now > last && sample_value(scrape, R"(bmcquiet_sel_entries{log="manager/SEL"})"))
      ++polls, delta = now - last;
    last = now;
    std::this_thread::sleep_for(200ms);
  }
  REQUIRE(polls == 3);
  const auto temps = count_series(scrape, "bmcquiet_temperature_celsius");
  const auto fans = count_series(scrape, "bmcquiet_fan_speed_rpm");
  const auto small = count_series(scrape, "bmcquiet_chassis_power_watts") +
                     count_series(scrape, "bmcquiet_log_entries") +
                     count_series(scrape, "bmcquiet_sel_entries");
  INFO("temperatures " << temps << ", fans " << fans << ", others " << small);
  CHECK(small >= 2);  // the SEL is never pushed out by a flood of sensors
  CHECK(temps + fans + small + count_series(scrape, "bmcquiet_log_capacity_entries") +
            count_series(scrape, "bmcquiet_sel_capacity_entries") ==
        5000);  // the default max_series
  CHECK(temps >= fans);
  CHECK(temps - fans <= 1);                 // a fair share each
  CHECK(delta == 10000.0 - double(temps));  // counted at every poll
  CHECK(sample_value(scrape,
                     R"(bmcquiet_redfish_series_dropped_total{metric="bmcquiet_fan_speed_rpm"})")
            .value_or(0) >= 5000.0 - double(fans));
  CHECK(sample_value(scrape, R"(bmcquiet_collector_up{collector="redfish"})") == 1.0);

  const double rss = rss_mib(daemon.pid());
  INFO("RSS " << rss << " MiB");  // uncapped, 15,000 sensors took it from 19 to 93 MB
  if (sanitized())
    WARN("AddressSanitizer build: RSS not checked");
  else
    CHECK(rss < 64.0);

  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(5s));
  const auto text = read_file(log);
  INFO(text);
  CHECK(count_lines(text, "raise bmc.redfish.max_series") == 1);  // not one per poll
  CHECK(text.find(sim.url()) != std::string::npos);               // which BMC
}
