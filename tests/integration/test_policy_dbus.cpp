// bmcquietd's D-Bus control over a private dbus-daemon that enforces the
// shipped bus policy (systemd/org.bmcquiet.Daemon1.conf): status for all,
// pause/resume/reload for root only, and the pause survives reload and restart.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "policy/pause.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

constexpr int kNobody = 65534;

std::string bus_config(const std::string& socket) {
  return R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=)" +
         socket + R"(</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>)" +
         std::string(BMCQUIET_SOURCE_DIR) + R"(/systemd/org.bmcquiet.Daemon1.conf</include>
</busconfig>
)";
}

struct Bus {
  std::string dir;
  std::string address;
  std::unique_ptr<Process> daemon;
};

std::string ctl(const Bus& bus, const std::string& args, bool as_nobody = false) {
  auto cmd = "DBUS_SYSTEM_BUS_ADDRESS=" + bus.address + " ";
  if (as_nobody)
    cmd += "setpriv --reuid=" + std::to_string(kNobody) + " --regid=" + std::to_string(kNobody) +
           " --clear-groups ";
  return cmd + built_binary("daemon/bmcquietctl") + " " + args + " 2>&1";
}

std::optional<double> scrape(int port, const std::string& series) {
  auto r = http_get("http://127.0.0.1:" + std::to_string(port) + "/metrics");
  return r.status == 200 ? sample_value(r.body, series) : std::nullopt;
}

bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds limit = 10s) {
  for (auto waited = 0ms; waited < limit; waited += 50ms) {
    if (ready()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

}  // namespace

TEST_CASE("D-Bus control: status for all, pause/resume for root, pause survives restart",
          "[policy][dbus]") {
  if (!have_command("dbus-daemon") || !have_command("setpriv")) {
    WARN(
        "dbus-daemon or setpriv missing (scripts/setup-test installs dbus and util-linux): "
        "skipped");
    return;
  }
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // nobody must reach the bus socket
  const auto socket = dir.path() + "/bus";
  auto bus_conf = dir.write("bus.conf", bus_config(socket));
  Process dbus({"dbus-daemon", "--nofork", "--config-file=" + bus_conf});
  Bus bus{dir.path(), "unix:path=" + socket, nullptr};
  REQUIRE(wait_until([&] { return std::filesystem::exists(socket); }));

  const int port = free_tcp_port();
  auto config = dir.write("bmcquiet.yaml", "paths:\n  state: " + dir.path() +
                                               "/state\ncollectors:\n  policy:\n    interval: "
                                               "200ms\n    items:\n      sol: {mode: enforce}\n");
  auto start_daemon = [&] {
    return std::make_unique<Process>(
        std::vector<std::string>{built_binary("daemon/bmcquietd"), "--config", config, "--listen",
                                 "127.0.0.1:" + std::to_string(port)},
        std::map<std::string, std::string>{{"DBUS_SYSTEM_BUS_ADDRESS", bus.address}});
  };
  auto daemon = start_daemon();
  REQUIRE(wait_until([&] { return run_command(ctl(bus, "status --json")).exit_code == 0; }));

  auto status = run_command(ctl(bus, "status"));
  INFO(status.output);
  CHECK(status.output.find("SETTING") != std::string::npos);
  CHECK(status.output.find("unsupported") != std::string::npos);  // no BMC configured
  CHECK(status.output.find("bmc.redfish or bmc.ipmi") != std::string::npos);

  SECTION("anyone may read, only root may change") {
    auto as_nobody = run_command(ctl(bus, "status --json", true));
    INFO(as_nobody.output);
    CHECK(as_nobody.exit_code == 0);
    CHECK(as_nobody.output.find("\"items\"") != std::string::npos);
    CHECK(run_command(ctl(bus, "plan", true)).exit_code == 0);
    for (const auto* mutating : {"pause 1h test", "resume", "apply", "reload"}) {
      auto denied = run_command(ctl(bus, mutating, true));
      INFO(mutating << ": " << denied.output);
      CHECK(denied.exit_code == 77);  // EX_NOPERM: the kind of problem, for scripts
      CHECK(denied.output.find("sudo") != std::string::npos);
    }
    CHECK_FALSE(std::filesystem::exists(dir.path() + "/state/policy-pause.json"));
  }

  SECTION("a pause is a metric and survives reload and restart") {
    auto paused = run_command(ctl(bus, "pause 2h BIOS update"));
    INFO(paused.output);
    REQUIRE(paused.exit_code == 0);
    CHECK(scrape(port, "bmcquiet_policy_paused") == 1.0);
    CHECK(run_command(ctl(bus, "status")).output.find("BIOS update") != std::string::npos);
    REQUIRE(run_command(ctl(bus, "reload")).exit_code == 0);
    CHECK(wait_until([&] { return scrape(port, "bmcquiet_policy_paused") == 1.0; }));

    daemon->signal(SIGTERM);
    REQUIRE(daemon->wait(5s) == 0);
    daemon = start_daemon();
    REQUIRE(wait_until([&] { return run_command(ctl(bus, "status --json")).exit_code == 0; }));
    CHECK(wait_until([&] { return scrape(port, "bmcquiet_policy_paused") == 1.0; }));
    auto json = run_command(ctl(bus, "status --json")).output;
    CHECK(json.find("\"reason\":\"BIOS update\"") != std::string::npos);

    REQUIRE(run_command(ctl(bus, "resume")).exit_code == 0);
    CHECK(scrape(port, "bmcquiet_policy_paused") == 0.0);
    auto applied = run_command(ctl(bus, "apply --json"));
    CHECK(applied.exit_code == 0);
    CHECK(applied.output.find("\"paused\":false") != std::string::npos);
  }
  SECTION("bmcquietctl's exit code is the kind of problem") {
    const auto good = read_file(config);
    dir.write("bmcquiet.yaml", good + "    bogus: 1\n");
    auto refused = run_command(ctl(bus, "reload"));
    INFO(refused.output);
    CHECK(refused.exit_code == 78);  // EX_CONFIG, with file:line
    CHECK(refused.output.find("bmcquiet.yaml:") != std::string::npos);
    dir.write("bmcquiet.yaml", good + "    enabled: false\n");
    REQUIRE(run_command(ctl(bus, "reload")).exit_code == 0);
    CHECK(run_command(ctl(bus, "status")).exit_code == 78);  // the policy is switched off
    daemon->signal(SIGTERM);
    REQUIRE(daemon->wait(5s) == 0);
    auto absent = run_command(ctl(bus, "status"));
    INFO(absent.output);
    CHECK(absent.exit_code == 69);  // EX_UNAVAILABLE: no daemon on the bus
    dir.write("bmcquiet.yaml", good);
    daemon = start_daemon();
    REQUIRE(wait_until([&] { return run_command(ctl(bus, "status --json")).exit_code == 0; }));
  }
  daemon->signal(SIGTERM);
  CHECK(daemon->wait(5s) == 0);
}

TEST_CASE(
    "no system bus: bmcquietctl pause/resume go through the pause file, and the daemon "
    "picks them up and logs them",
    "[policy][dbus]") {
  TempDir dir;
  const auto nobus = "unix:path=" + dir.path() + "/no-such-bus";
  const int port = free_tcp_port();
  auto config = dir.write("bmcquiet.yaml", "paths:\n  state: " + dir.path() +
                                               "/state\ncollectors:\n  policy:\n    interval: "
                                               "200ms\n    items:\n      sol: {mode: enforce}\n");
  const auto log = dir.path() + "/daemon.log";
  Process daemon({"sh", "-c",
                  "DBUS_SYSTEM_BUS_ADDRESS=" + nobus + " exec " + built_binary("daemon/bmcquietd") +
                      " --config " + config + " --listen " + "127.0.0.1:" + std::to_string(port) +
                      " 2>" + log});
  REQUIRE(wait_until([&] { return scrape(port, "bmcquiet_policy_paused") == 0.0; }));
  const auto ctl =
      "DBUS_SYSTEM_BUS_ADDRESS=" + nobus + " " + built_binary("daemon/bmcquietctl") + " ";

  auto paused = run_command(ctl + "pause --config " + config + " 2h firmware update 2>&1");
  INFO(paused.output);
  REQUIRE(paused.exit_code == 0);
  CHECK(paused.output.find(dir.path() + "/state/policy-pause.json") != std::string::npos);
  CHECK(paused.output.find("not reachable over D-Bus") != std::string::npos);
  CHECK(wait_until([&] { return scrape(port, "bmcquiet_policy_paused") == 1.0; }));
  // The start the pause-too-long alert measures from: now, not 0.
  CHECK(scrape(port, "bmcquiet_policy_pause_start_timestamp_seconds").value_or(0) >
        bmcquiet::policy::unix_now() - 60);
  // No BMC is configured: the pause does not hide that nothing can serve sol.
  CHECK(scrape(port, "bmcquiet_policy_item_state{setting=\"sol\",state=\"unsupported\"}") == 1.0);

  auto resumed = run_command(ctl + "resume --config " + config + " 2>&1");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/state/policy-pause.json"));
  CHECK(wait_until([&] { return scrape(port, "bmcquiet_policy_paused") == 0.0; }));

  daemon.signal(SIGTERM);
  CHECK(daemon.wait(5s) == 0);
  auto text = run_command("cat " + log).output;
  INFO(text);
  CHECK(text.find("paused for maintenance for") != std::string::npos);
  CHECK(text.find("firmware update") != std::string::npos);
  CHECK(text.find("maintenance pause ended (resumed)") != std::string::npos);
}
