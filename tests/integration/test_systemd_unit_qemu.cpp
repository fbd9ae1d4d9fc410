// systemd/bmcquiet.service under a real service manager: a QEMU guest boots a
// Debian root (scripts/fetch-guest-rootfs) with systemd as PID 1, journald and
// the D-Bus system bus, on Debian's kernel with the real msr and ipmi_si KCS
// drivers (the KCS wired to the test's ipmi_sim). The Debian package
// (scripts/package: build-deb/bmcquiet_*_amd64.deb) is installed as an
// operator would, `apt-get install ./bmcquiet_*.deb` (offline: the root holds
// its libraries), configured, and purged at the end; a oneshot unit checks what
// the package does on install (user, bus policy, unit started in report mode,
// conffile) and then what only a real systemd can show: Type=notify readiness and STATUS=, the
// system user (sysusers.d) and its capabilities, device access through DevicePolicy=closed,
// bmcquietctl over the system bus, audit fields in the journal, ExecReload,
// the watchdog restarting a hung daemon, and a clean stop.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "support/bmcsim.hpp"
#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"
#include "support/qemu_guest.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kConfig = R"(exporter:
  listen: 127.0.0.1:19100
bmc:
  redfish:
    # bmcsim inside the guest (an OpenBMC-like mockup without SOL, power or
    # watchdog resources, so those policy items stay on in-band IPMI); the
    # password comes from /etc/credstore/bmcquiet.redfish-password
    # (LoadCredential=); there is no IPMI password file: inband needs none.
    url: http://127.0.0.1:18080
    host_interface: false
    username: admin
    insecure: true
  ipmi:
    transport: inband
collectors:
  redfish:
    interval: 1s
  dcmi:
    interval: 1s
  smi:
    interval: 1s
  tsc_gap:
    enabled: false
  policy:
    interval: 1s
    items:
      sol:
        mode: enforce
      # Archives the mockup's SEL entries to /var/lib/bmcquiet/sel-archive.jsonl,
      # the data a purge must keep.
      sel:
        mode: enforce
        max_fill_ratio: 0.05
)";

// Runs in the guest before systemd starts: only the test's own units. The
// package is installed by the e2e unit on the running system, as on a node.
// clang-format off
constexpr const char* kPrepare = R"sh(set -e
cp /test/bmcquiet-e2e.service /test/bmcsim.service /etc/systemd/system/
mkdir -p /etc/systemd/system/multi-user.target.wants
ln -s /etc/systemd/system/bmcquiet-e2e.service /etc/systemd/system/multi-user.target.wants/
ln -sf /lib/systemd/system/multi-user.target /etc/systemd/system/default.target
ln -s /dev/null /etc/systemd/system/serial-getty@ttyS0.service
ln -s /dev/null /etc/systemd/system/getty@tty1.service
)sh";
// clang-format on

// A password that must never show up anywhere but in the credential file.
constexpr const char* kRedfishPassword = "Marker-9f3c-never-logged";

// clang-format off
constexpr const char* kBmcSimUnit = R"unit([Unit]
Description=Redfish simulator for the bmcquiet checks
[Service]
ExecStart=/bin/sh -c 'exec /usr/local/bin/bmcsim --mockup /test/mockup --bind 127.0.0.1 --port 18080 --control-port 18081 --user admin --password "$(cat /test/redfish-password)"'
)unit";
// clang-format on
constexpr const char* kBmcSimDropIn = "[Unit]\nWants=bmcsim.service\nAfter=bmcsim.service\n";

// A quicker watchdog than the shipped 30 s, so a hang is seen within seconds.
// In the sanitizer pass, LeakSanitizer's exit-time scan needs ptrace, which the
// unit's system-call filter (rightly) denies; leaks are checked by every other
// test there, so it is off here (the variable means nothing to a normal build).
constexpr const char* kWatchdogDropIn =
    "[Service]\nWatchdogSec=2s\nRestartSec=1s\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n";

constexpr const char* kE2eUnit = R"([Unit]
Description=bmcquiet end-to-end checks
After=dbus.service
# Whatever happens, the guest ends: the host test reads the console after.
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=oneshot
TimeoutStartSec=270
ExecStart=/bin/sh /test/e2e
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
)";

// clang-format off
constexpr const char* kE2e = R"sh(
m() { busybox wget -q -O - http://127.0.0.1:19100/metrics 2>/dev/null; }
show() {
  systemctl show bmcquiet -p ActiveState -p SubState -p Result -p NRestarts -p Type \
    -p WatchdogUSec -p StatusText
}
wait_for() {
  i=0
  while [ $i -lt 150 ]; do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.2; i=$((i+1)); done
  echo "e2e: timed out waiting for: $1"
}
export SYSTEMD_PAGER= SYSTEMD_COLORS=0 TERM=dumb DEBIAN_FRONTEND=noninteractive
files() {  # what a purge must not leave behind (logs and package databases aside)
  find /etc /usr /var /srv /opt -xdev \( -path /var/log -o -path /var/cache -o -path /var/lib/dpkg \
    -o -path /var/lib/apt -o -path /var/lib/systemd -o -path /etc/ld.so.cache \) -prune -o -print | sort
}
files >/tmp/before
echo "@@begin install"
cp /test/bmcquiet.deb /tmp/bmcquiet_test_amd64.deb
(cd /tmp && apt-get install -y --no-install-recommends ./bmcquiet_test_amd64.deb >/tmp/apt.log 2>&1)
echo "apt=$?"; tail -5 /tmp/apt.log
echo "enabled=$(systemctl is-enabled bmcquiet) active=$(systemctl is-active bmcquiet)"
id bmcquiet
dpkg-query -W -f='${Conffiles}\n' bmcquiet
wait_for 'm | grep -q "^bmcquiet_bmc_configured 0"'
m | grep -E '^bmcquiet_(bmc_configured|policy_reapply_total)'
journalctl -u bmcquiet --no-pager | grep -o 'no BMC configured.*' | head -1
file=$(readlink -f "$(command -v bmcquietd)"); echo "bmcquietd=$file"
ls /usr/share/doc/bmcquiet/ /usr/share/bmcquiet/rules /usr/share/bmcquiet/dashboards
echo "@@end install"

# The operator's part: configuration, the one secret it uses, the test's drop-ins.
cp /test/bmcquiet.yaml /etc/bmcquiet/
echo "@@begin check_config"
bmcquietd --check-config 2>&1; echo "missing=$?"
install -d -m 0700 /etc/credstore
install -m 0644 /test/redfish-password /etc/credstore/bmcquiet.redfish-password
bmcquietd --check-config 2>&1; echo "readable=$?"
chmod 0600 /etc/credstore/bmcquiet.redfish-password
bmcquietd --check-config 2>&1; echo "private=$?"
echo "@@end check_config"
mkdir -p /etc/systemd/system/bmcquiet.service.d
cp /test/watchdog.conf /test/bmcsim.conf /etc/systemd/system/bmcquiet.service.d/
systemctl daemon-reload
systemctl restart bmcquiet
wait_for 'm | grep -q "^bmcquiet_collector_up{collector=\"dcmi\"} 1"'
if ! systemctl is-active -q bmcquiet; then
  echo "@@begin failed"; show; journalctl -u bmcquiet --no-pager | tail -40; echo "@@end failed"
  exit 1
fi
wait_for 'm | grep -q "^bmcquiet_policy_reapply_total{setting=\"sol\"} 1"'
# STATUS= follows the collectors within its 5 s refresh (bmcsim may start late).
wait_for 'systemctl show -p StatusText --value bmcquiet | grep -q "8/8 collectors up"'
pid=$(systemctl show -p MainPID --value bmcquiet)

echo "@@begin show"; show; echo "@@end show"
echo "@@begin identity"
echo "uid=$(stat -c %u /proc/$pid) user=$(stat -c %U /proc/$pid)"
grep -E '^Cap(Eff|Amb)' /proc/$pid/status
echo "@@end identity"
echo "@@begin metrics"; m; echo "@@end metrics"
echo "@@begin ctl"; bmcquietctl status; echo "exit=$?"; systemctl status --no-pager dbus.socket dbus.service; ls -la /run/dbus; echo "@@end ctl"
echo "@@begin access"
setpriv --reuid=65534 --regid=65534 --clear-groups bmcquietctl pause 1h "not root" 2>&1
echo "nobody-pause=$?"
bmcquietctl pause 1h "maintenance by root" >/dev/null 2>&1; echo "root-pause=$?"
wait_for 'm | grep -q "^bmcquiet_policy_paused 1"'; m | grep '^bmcquiet_policy_paused'
bmcquietctl resume >/dev/null 2>&1; echo "root-resume=$?"
wait_for 'm | grep -q "^bmcquiet_policy_paused 0"'; m | grep '^bmcquiet_policy_paused'
echo "@@end access"
wait_for 'm | grep -q "^bmcquiet_bmc_up 1"'
echo "@@begin secrets"
echo "redfish-up: $(m | grep '^bmcquiet_bmc_up')"
echo "journal=$(journalctl -u bmcquiet -o verbose --no-pager | grep -c "$(cat /test/redfish-password)")"
echo "metrics=$(m | grep -c "$(cat /test/redfish-password)")"
echo "status=$(bmcquietctl status --json | grep -c "$(cat /test/redfish-password)")"
echo "process=$(cat /proc/$pid/cmdline /proc/$pid/environ | grep -c "$(cat /test/redfish-password)")"
# Control: bmcsim got it on its command line, and the same grep finds it there.
echo "control=$(journalctl -u bmcsim -o verbose --no-pager | grep -c "$(cat /test/redfish-password)")"
echo "@@end secrets"
echo "@@begin journal"
journalctl -u bmcquiet -o verbose --no-pager ITEM=sol | grep -E '^ +(ITEM|RESULT|TRANSPORT)='
echo "@@end journal"

before=$(m | grep '^bmcquiet_config_last_reload_success_timestamp_seconds')
sleep 1.2
systemctl reload bmcquiet
echo "@@begin reload"; echo "exit=$?"; echo "before: $before"
echo "after: $(m | grep '^bmcquiet_config_last_reload_success_timestamp_seconds')"
show; echo "@@end reload"

cp /etc/bmcquiet/bmcquiet.yaml /tmp/good.yaml
printf 'collectors:\n  dcmi:\n    interval: fast\n' >/etc/bmcquiet/bmcquiet.yaml
echo "@@begin bad_reload"
systemctl reload bmcquiet 2>&1; echo "exit=$?"
systemctl show bmcquiet -p ActiveState
m | grep '^bmcquiet_config_last_reload_successful'
journalctl -u bmcquiet --no-pager | grep -F 'bmcquiet.yaml:3:'
echo "@@end bad_reload"
cp /tmp/good.yaml /etc/bmcquiet/bmcquiet.yaml
systemctl reload bmcquiet

kill -STOP "$pid"
wait_for 'systemctl show -p NRestarts --value bmcquiet | grep -qx 1'
wait_for 'systemctl is-active -q bmcquiet'
echo "@@begin watchdog"; show
echo "old=$pid new=$(systemctl show -p MainPID --value bmcquiet)"
journalctl -u bmcquiet --no-pager | grep -i 'watchdog timeout'
echo "@@end watchdog"

t0=$(date +%s%N); systemctl stop bmcquiet; t1=$(date +%s%N)
echo "@@begin stop"; echo "stop_ms=$(( (t1 - t0) / 1000000 ))"
systemctl show bmcquiet -p ActiveState -p Result
journalctl -u bmcquiet --no-pager -n 6; echo "@@end stop"

rm -r /etc/systemd/system/bmcquiet.service.d  # the test's own drop-ins
echo "@@begin purge"
ls /var/lib/bmcquiet
apt-get purge -y bmcquiet >/tmp/purge.log 2>&1; echo "purge=$?"; tail -3 /tmp/purge.log
files >/tmp/after
echo "leftovers:"; busybox diff /tmp/before /tmp/after | grep '^+/' || true
echo "archive_lines=$(wc -l </var/lib/bmcquiet/sel-archive.jsonl)"
echo "@@end purge"
)sh";
// clang-format on

std::string skip_reason() {
  for (const auto& why :
       {IpmiSim::unavailable(), QemuGuest::unavailable(), QemuGuest::rootfs_unavailable()})
    if (!why.empty()) return why;
  return {};
}

// BMCQUIET_DEB, else the newest build-deb/bmcquiet_*_amd64.deb of this tree.
std::string package_path() {
  if (const char* env = std::getenv("BMCQUIET_DEB"); env && *env) return env;
  std::string newest;
  std::filesystem::file_time_type newest_time{};
  const auto dir = std::string(BMCQUIET_SOURCE_DIR) + "/build-deb";
  if (!std::filesystem::is_directory(dir)) return {};
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (!name.starts_with("bmcquiet_") || !name.ends_with("_amd64.deb")) continue;
    if (newest.empty() || e.last_write_time() > newest_time)
      newest = e.path().string(), newest_time = e.last_write_time();
  }
  return newest;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE(
    "bmcquiet.service under systemd in a QEMU guest: notify, system user, devices, "
    "D-Bus, journal, reload, watchdog, stop",
    "[systemd][qemu][ipmi_sim]") {
  if (auto why = skip_reason(); !why.empty()) {
    if (guest_required()) FAIL("CI=true and " << why);
    WARN("SKIPPED: " << why);
    return;
  }
#if defined(__SANITIZE_ADDRESS__)
  // The guest runs the package's binaries, the same in both passes: once is enough.
  WARN(
      "SKIPPED in the sanitizer build: the guest installs the package, checked in the plain build");
  return;
#endif
  const auto deb = package_path();
  if (deb.empty()) {
    if (guest_required()) FAIL("CI=true and no build-deb/bmcquiet_*_amd64.deb (scripts/package)");
    WARN("SKIPPED: no build-deb/bmcquiet_*_amd64.deb: run scripts/package");
    return;
  }
  IpmiSim sim(IpmiSim::Options{.sel_entries = 10, .vm_interface = true});  // 10% of 100: over 0.05
  REQUIRE(sim.start());
  REQUIRE(run_command(sim.ipmitool("sol set enabled true 1")).exit_code == 0);

  QemuGuest guest(QemuGuest::rootfs_dir());
  guest.add_file("boot-systemd", "");
  guest.add_file("prepare", kPrepare);
  guest.add_file("e2e", kE2e);
  guest.add_file("bmcquiet-e2e.service", kE2eUnit);
  guest.add_file("watchdog.conf", kWatchdogDropIn);
  guest.add_file("bmcsim.service", kBmcSimUnit);
  guest.add_file("bmcsim.conf", kBmcSimDropIn);
  guest.add_file("redfish-password", kRedfishPassword);
  guest.add_tree(fixture_dir("redfish/openbmc"), "mockup");
  guest.add_file("bmcquiet.yaml", kConfig);
  // Installed as the README says: the package, with apt.
  guest.add_tree(deb, "bmcquiet.deb");
  const auto run = guest.boot(sim.vm_port(), {built_binary("tests/tools/bmcsim/bmcsim")}, 330s);
  INFO("console:\n" << run.console << "\nqemu:\n" << run.log);
  REQUIRE(run.powered_off);
  REQUIRE(run.section("failed").empty());  // the unit came up
  // One boot, several findings: plain blocks, not SECTIONs (each would boot again).
  {
    INFO(
        "apt installs the .deb offline: user, conffile, unit enabled and running in report "
        "mode, the missing BMC said in the metric and the journal");
    const auto install = run.section("install");
    CHECK(has_line(install, "apt=0"));
    CHECK(has_line(install, "enabled=enabled active=active"));
    CHECK(has_line(install, "bmcquiet_bmc_configured 0"));
    // id's "(bmcquiet)", the conffile, the start-up line, /usr/share's files
    for (const char* want : {"(bmcquiet)", " /etc/bmcquiet/bmcquiet.yaml ", "no BMC configured",
                             "bmcquiet.rules.yml", "bmcquiet.json", "README.md"})
      CHECK_THAT(install, Catch::Contains(want));
  }
  {
    INFO("--check-config: a missing or readable secret is an error naming the path and fix");
    const auto cc = run.section("check_config");
    CHECK(has_line(cc, "missing=1"));
    CHECK_THAT(cc, Catch::Contains("bmc.redfish: no password: neither "
                                   "/etc/credstore/bmcquiet.redfish-password"));
    CHECK_THAT(cc, Catch::Contains("systemd-ask-password"));
    CHECK(has_line(cc, "readable=1"));
    CHECK_THAT(cc, Catch::Contains("mode 0644"));
    CHECK_THAT(cc, Catch::Contains("chmod 600 /etc/credstore/bmcquiet.redfish-password"));
    CHECK(has_line(cc, "private=0"));
  }
  {
    INFO("Type=notify: active once READY=1, STATUS= shown by systemctl");
    const auto show = run.section("show");
    CHECK(has_line(show, "Type=notify"));
    CHECK(has_line(show, "ActiveState=active"));
    CHECK(has_line(show, "SubState=running"));
    CHECK(has_line(show, "WatchdogUSec=2s"));
    CHECK_THAT(show, Catch::Contains("StatusText=metrics on http://127.0.0.1:19100/metrics; "
                                     "8/8 collectors up"));
  }
  {
    INFO("the sysusers.d system user, with exactly the three ambient capabilities the unit names");
    const auto id = run.section("identity");
    std::smatch uid;
    REQUIRE(std::regex_search(id, uid, std::regex("uid=(\\d+) user=bmcquiet")));
    CHECK(std::stoi(uid[1]) > 0);
    CHECK(std::stoi(uid[1]) < 1000);  // a system user
    // CAP_DAC_OVERRIDE (1), CAP_SYS_RAWIO (17), CAP_PERFMON (38)
    CHECK_THAT(id, Catch::Contains("CapEff:\t0000004000020002"));
    CHECK_THAT(id, Catch::Contains("CapAmb:\t0000004000020002"));
  }
  {
    INFO("DevicePolicy=closed still lets it at /dev/cpu/0/msr and /dev/ipmi0");
    const auto m = run.section("metrics");
    CHECK(sample_value(m, R"(bmcquiet_collector_up{collector="smi"})") == 1.0);
    CHECK_THAT(m, Catch::Contains(R"(source="intel_msr")"));
    CHECK(sample_value(m, R"(bmcquiet_collector_up{collector="dcmi"})") == 1.0);
    CHECK(sample_value(m, R"(bmcquiet_power_consumed_watts{source="dcmi"})") == 250.0);
    CHECK(sample_value(m, R"(bmcquiet_collector_up{collector="policy"})") == 1.0);
    // The shared-NIC check reads LAN parameter 5 in-band too (12 requests at
    // start, then 1 per 10 min); the SEL and SDR sensors stay off in-band
    // unless collectors.ipmi_sel/ipmi_sensors.inband asks for them.
    CHECK(sample_value(m, R"(bmcquiet_collector_up{collector="bmc_nic"})") == 1.0);
    CHECK_FALSE(sample_value(m, R"(bmcquiet_collector_up{collector="ipmi_sel"})"));
    CHECK_FALSE(sample_value(m, R"(bmcquiet_collector_up{collector="ipmi_sensors"})"));
  }
  {
    INFO(
        "the shipped unit's ProtectProc=invisible hides PID 1 and other users' processes: the "
        "watchdog collector reads the BMC's timer in-band and says its view is partial");
    const auto m = run.section("metrics");
    CHECK(sample_value(m, R"(bmcquiet_collector_up{collector="watchdog"})") == 1.0);
    CHECK(sample_value(m, "bmcquiet_watchdog_scan_complete") == 0.0);
    CHECK(sample_value(m, "bmcquiet_bmc_watchdog_running").has_value());
    CHECK(sample_value(m, "bmcquiet_watchdog_systemd_runtime_seconds") ==
          0.0);  // systemd's default
  }
  {
    INFO("bmcquietctl reaches the daemon over the system bus (the shipped bus policy)");
    const auto ctl = run.section("ctl");
    CHECK(has_line(ctl, "exit=0"));
    CHECK_THAT(ctl, Catch::Contains("sol"));
  }
  {
    INFO("the bus policy and the daemon's own check: only root may pause");
    const auto access = run.section("access");
    CHECK(has_line(access, "nobody-pause=77"));   // EX_NOPERM
    CHECK_THAT(access, Catch::Contains("root"));  // the refusal says who may
    CHECK(has_line(access, "root-pause=0"));
    CHECK(has_line(access, "bmcquiet_policy_paused 1"));
    CHECK(has_line(access, "root-resume=0"));
    CHECK(has_line(access, "bmcquiet_policy_paused 0"));
  }
  {
    INFO("LoadCredential= hands the Redfish password over; it appears nowhere else");
    const auto secrets = run.section("secrets");
    CHECK(has_line(secrets, "redfish-up: bmcquiet_bmc_up 1"));  // it logged in with it
    CHECK(has_line(secrets, "journal=0"));
    CHECK(has_line(secrets, "metrics=0"));
    CHECK(has_line(secrets, "status=0"));
    CHECK(has_line(secrets, "process=0"));
    std::smatch control;  // the same search does find it where it was put
    REQUIRE(std::regex_search(secrets, control, std::regex("control=(\\d+)")));
    CHECK(std::stoi(control[1]) > 0);
  }
  {
    INFO("the policy's audit fields arrive in journald");
    const auto journal = run.section("journal");
    CHECK_THAT(journal, Catch::Contains("ITEM=sol"));
    CHECK_THAT(journal, Catch::Contains("RESULT=reapplied"));
    CHECK_THAT(journal, Catch::Contains("TRANSPORT=ipmi"));
  }
  {
    INFO("systemctl reload waits for the reload (D-Bus Reload): active, a new timestamp");
    const auto reload = run.section("reload");
    CHECK(has_line(reload, "exit=0"));
    CHECK(has_line(reload, "ActiveState=active"));
    std::smatch before, after;
    REQUIRE(std::regex_search(reload, before, std::regex("before: \\S+ (\\S+)")));
    REQUIRE(std::regex_search(reload, after, std::regex("after: \\S+ (\\S+)")));
    CHECK(std::stod(after[1]) > std::stod(before[1]));
  }
  {
    INFO("a bad file: systemctl reload fails, the old configuration keeps running");
    const auto bad = run.section("bad_reload");
    CHECK_FALSE(has_line(bad, "exit=0"));
    CHECK(has_line(bad, "ActiveState=active"));
    CHECK(has_line(bad, "bmcquiet_config_last_reload_successful 0"));
    CHECK_THAT(bad, Catch::Contains("/etc/bmcquiet/bmcquiet.yaml:3:15: collectors.dcmi.interval"));
  }
  {
    INFO("a hung daemon (SIGSTOP) misses WATCHDOG=1 and systemd restarts it");
    const auto wd = run.section("watchdog");
    CHECK(has_line(wd, "NRestarts=1"));
    CHECK(has_line(wd, "ActiveState=active"));
    CHECK_THAT(wd, Catch::Contains("atchdog timeout"));
    std::smatch pids;
    REQUIRE(std::regex_search(wd, pids, std::regex("old=(\\d+) new=(\\d+)")));
    CHECK(pids[1] != pids[2]);
  }
  {
    INFO("systemctl stop: clean exit, quickly");
    const auto stop = run.section("stop");
    CHECK(has_line(stop, "ActiveState=inactive"));
    CHECK(has_line(stop, "Result=success"));
    std::smatch ms;
    REQUIRE(std::regex_search(stop, ms, std::regex("stop_ms=(\\d+)")));
    CHECK(std::stoi(ms[1]) < 2000);
  }
  {
    INFO("apt purge leaves nothing behind but the SEL archive (and its directory)");
    const auto purge = run.section("purge");
    CHECK(has_line(purge, "purge=0"));
    const auto from = purge.find("leftovers:\n");
    REQUIRE(from != std::string::npos);
    const auto leftovers = purge.substr(from, purge.find("archive_lines=") - from);
    // (/var/lib/bmcquiet itself is in the guest's root before the install:
    // make-initramfs makes it.)
    CHECK(leftovers == "leftovers:\n+/var/lib/bmcquiet/sel-archive.jsonl\n");
    std::smatch lines;
    REQUIRE(std::regex_search(purge, lines, std::regex("archive_lines=(\\d+)")));
    CHECK(std::stoi(lines[1]) > 0);
  }
  // The daemon under systemd disabled SOL in-band; the host sees it over the LAN.
  CHECK_THAT(run_command(sim.ipmitool("sol info 1")).output,
             Catch::Matches("(.|\n)*Enabled +: false(.|\n)*"));
}
