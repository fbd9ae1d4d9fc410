// Starts the real bmcquietd the way systemd does and talks to it from outside.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "support/helpers.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

std::string config_with(const std::string& root, const std::string& extra = "") {
  return "paths:\n  procfs: " + root + "/proc\n  sysfs: " + root + "/sys\n  devfs: " + root +
         "/dev\n  state: " + root + "/state\n" + extra;
}

std::string metrics_url(const std::string& ready) {
  auto start = ready.find("http://");
  auto end = ready.find("/metrics", start);
  REQUIRE(start != std::string::npos);
  return ready.substr(start, end + 8 - start);
}

}  // namespace

TEST_CASE("bmcquietd notifies READY, serves valid metrics, survives a bad reload, stops cleanly") {
  TempDir dir;
  dir.write("proc/interrupts", fixture("interrupts/baremetal-8cpu-cpu3-offline.txt"));
  dir.write("sys/devices/system/cpu/online", "0-7\n");
  dir.write("sys/devices/system/cpu/isolated", "4-7\n");
  auto config =
      dir.write("bmcquiet.yaml",
                config_with(dir.path(), "collectors:\n  interrupts:\n    interval: 100ms\n"));
  NotifySocket notify(dir.path());
  Process daemon({built_binary("daemon/bmcquietd"), "--config", config, "--listen", "127.0.0.1:0"},
                 {{"NOTIFY_SOCKET", notify.path()}});

  auto ready = notify.wait_for("READY=1", 10s);
  REQUIRE(ready);
  CHECK(ready->find("STATUS=metrics on http://127.0.0.1:") != std::string::npos);
  const auto url = metrics_url(*ready);

  // READY comes once collectors are started; their first run finishes right after.
  HttpResponse scrape;
  for (int i = 0; i < 100; ++i) {
    scrape = http_get(url);
    REQUIRE(scrape.status == 200);
    if (sample_value(scrape.body, R"(bmcquiet_collector_up{collector="interrupts"})")) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(sample_value(scrape.body, R"(bmcquiet_collector_up{collector="interrupts"})") == 1.0);
  CHECK(sample_value(scrape.body, "bmcquiet_config_last_reload_successful") == 1.0);
  CHECK(scrape.body.find("bmcquiet_build_info{revision=") != std::string::npos);
  CHECK(sample_value(scrape.body, R"(bmcquiet_cpus{class="isolated"})") == 4.0);
  if (have_command("promtool")) {
    auto check = run_command("promtool check metrics", scrape.body);
    INFO(check.output);
    CHECK(check.exit_code == 0);
  } else {
    WARN("promtool not installed (scripts/setup-test installs it): metric lint skipped");
  }

  dir.write("bmcquiet.yaml", "collectors:\n  interrupts:\n    interval: fast\n");
  daemon.signal(SIGHUP);
  REQUIRE(notify.wait_for("RELOADING=1", 5s));
  auto after = notify.wait_for("READY=1", 5s);
  REQUIRE(after);
  CHECK(after->find("reload failed") != std::string::npos);
  scrape = http_get(url);
  REQUIRE(scrape.status == 200);
  CHECK(sample_value(scrape.body, "bmcquiet_config_last_reload_successful") == 0.0);
  CHECK(sample_value(scrape.body, R"(bmcquiet_collector_up{collector="interrupts"})") == 1.0);

  // Disabled by a reload: the collector's own series go with it, not frozen.
  const std::string isolated_ipis =
      R"(bmcquiet_interrupts_total{cpu_class="isolated",source="ipi_call"})";
  CHECK(sample_value(scrape.body, isolated_ipis));
  dir.write("bmcquiet.yaml",
            config_with(dir.path(), "collectors:\n  interrupts:\n    enabled: false\n"));
  daemon.signal(SIGHUP);
  REQUIRE(notify.wait_for("READY=1", 5s));
  scrape = http_get(url);
  CHECK(sample_value(scrape.body, "bmcquiet_config_last_reload_successful") == 1.0);
  CHECK_FALSE(sample_value(scrape.body, isolated_ipis));
  CHECK_FALSE(sample_value(scrape.body, R"(bmcquiet_collector_up{collector="interrupts"})"));

  dir.write("bmcquiet.yaml",
            config_with(dir.path(), "collectors:\n  interrupts:\n    enabled: true\n"));
  daemon.signal(SIGHUP);
  REQUIRE(notify.wait_for("READY=1", 5s));
  for (int i = 0; i < 100 && !sample_value(scrape.body, isolated_ipis); ++i) {
    std::this_thread::sleep_for(50ms);
    scrape = http_get(url);
  }
  CHECK(sample_value(scrape.body, "bmcquiet_config_last_reload_successful") == 1.0);
  CHECK(sample_value(scrape.body, isolated_ipis));

  const auto t0 = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  auto status = daemon.wait(2s);
  REQUIRE(status);
  CHECK(*status == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
}

TEST_CASE("bmcquietd refuses a bad config before READY with file:line and exit code 2") {
  TempDir dir;
  auto config = dir.write("bad.yaml", "exporter:\n  listne: 127.0.0.1:1\n");
  auto r = run_command(built_binary("daemon/bmcquietd") + " --check-config --config " + config);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find(config + ":2:3: exporter.listne: unknown key; allowed here: listen") !=
        std::string::npos);

  NotifySocket notify(dir.path());
  Process daemon({built_binary("daemon/bmcquietd"), "--config", config},
                 {{"NOTIFY_SOCKET", notify.path()}});
  auto status = daemon.wait(5s);
  REQUIRE(status);
  CHECK(*status == 2);
  CHECK_FALSE(notify.wait_for("READY=1", 100ms));
}

TEST_CASE("check-config accepts the shipped config") {
  auto r = run_command(built_binary("daemon/bmcquietd") + " --check-config --config " +
                       std::string(BMCQUIET_SOURCE_DIR) + "/config/bmcquiet.yaml");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("OK") != std::string::npos);
}

// Once: an uncaught std::out_of_range, and "1xd" read as 24 h (a real pause).
TEST_CASE("bmcquietctl pause: an overflowing or malformed duration is a usage error") {
  TempDir dir;
  auto config = dir.write("bmcquiet.yaml", config_with(dir.path()));
  for (const std::string bad : {"99999999999999999999d", "1xd", "d", "1e400d", "0d"}) {
    auto r = run_command(built_binary("daemon/bmcquietctl") + " pause --config " + config + " " +
                         bad + " maintenance");
    INFO(bad << ": " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("bmcquietctl pause: '" + bad + "' is not a duration") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path() + "/state/policy-pause.json"));
  }
}

namespace {

// bmcquietd with no BMC and the default collectors, on a port of its choice.
std::string minimal_config(const TempDir& dir) {
  dir.write("proc/interrupts", fixture("interrupts/baremetal-8cpu-cpu3-offline.txt"));
  dir.write("sys/devices/system/cpu/online", "0-7\n");
  return dir.write("bmcquiet.yaml", config_with(dir.path()));
}

struct MinimalDaemon {
  TempDir dir;
  NotifySocket notify{dir.path()};
  Process daemon{{built_binary("daemon/bmcquietd"), "--config", minimal_config(dir), "--listen",
                  "127.0.0.1:0"},
                 {{"NOTIFY_SOCKET", notify.path()}}};
};

}  // namespace

// Once: 1000 SIGHUPs queued ~52 s of reloads and a SIGTERM waited behind them.
TEST_CASE("a SIGHUP storm is one or two reloads, and SIGTERM still stops within 2 s") {
  MinimalDaemon d;
  auto& [dir, notify, daemon] = d;
  REQUIRE(notify.wait_for("READY=1", 10s));

  // Spaced so that the daemon sees each one (the kernel merges a SIGHUP into
  // one still pending), as from a loop of `systemctl reload`.
  for (int i = 0; i < 1000; ++i) {
    daemon.signal(SIGHUP);
    std::this_thread::sleep_for(100us);
  }
  const auto t0 = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  auto status = daemon.wait(3s);
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(status);
  CHECK(*status == 0);
  CHECK(took < 2500ms);

  int reloads = 0;
  while (notify.wait_for("RELOADING=1", 200ms)) ++reloads;
  CHECK(reloads <= 2);
}

TEST_CASE("a SIGHUP burst reloads once, with the file as it is after the burst") {
  MinimalDaemon d;
  auto& [dir, notify, daemon] = d;
  REQUIRE(notify.wait_for("READY=1", 10s));

  dir.write("bmcquiet.yaml",
            config_with(dir.path(), "collectors:\n  interrupts: {enabled: false}\n"));
  for (int i = 0; i < 50; ++i) daemon.signal(SIGHUP);
  REQUIRE(notify.wait_for("RELOADING=1", 5s));
  auto after = notify.wait_for("READY=1", 5s);
  REQUIRE(after);
  CHECK(after->find("reload failed") == std::string::npos);
  CHECK_FALSE(notify.wait_for("RELOADING=1", 500ms));
  auto scrape = http_get(metrics_url(*after));
  CHECK_FALSE(sample_value(scrape.body, R"(bmcquiet_collector_up{collector="interrupts"})"));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(2s) == 0);
}
