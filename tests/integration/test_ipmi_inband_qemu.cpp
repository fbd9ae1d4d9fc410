// The in-band transport end to end: bmcquietd and bmcquietctl run inside a
// QEMU guest on Debian's kernel, talk to /dev/ipmi0 through the real ipmi_si
// KCS driver, and QEMU carries the KCS traffic to the same ipmi_sim the host
// reaches over lanplus. The host sets state over the LAN, the guest must see it
// and change it in-band, and the host reads the result back over the LAN.
// The guest's MSR 0x34 is QEMU's SMM entry count, so SMIs injected through the
// APM port (0xB2, tests/tools/qemu_guest/guest_smi) are real SMIs for the smi collector and the
// self-cost count.
#include <boost/json.hpp>
#include <thread>

#include <catch2/catch.hpp>

#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"
#include "support/qemu_guest.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr const char* kGuestConfig = R"(exporter:
  listen: 127.0.0.1:19100
paths:
  state: /var/lib/bmcquiet
bmc:
  redfish:
    host_interface: false
  ipmi:
    transport: inband
    timeout: 1s
collectors:
  interrupts:
    interval: 500ms
  dcmi:
    interval: 500ms
  smi:
    interval: 500ms
  tsc_gap:
    enabled: false
  policy:
    # The first pass (at start) enforces; later ones would share the silent
    # BMC with dcmi below and make it unclear whose request timed out.
    interval: 30s
    items:
      power_cap:
        mode: enforce
        floor_watts: 200
      sol:
        mode: enforce
)";

// busybox sh. Every phase prints its evidence between @@begin/@@end markers.
constexpr const char* kGuestScript = R"(
metrics() { wget -q -O - http://127.0.0.1:19100/metrics; }
wait_for() {
  i=0
  while [ $i -lt 100 ]; do metrics | grep -q "$1" && return 0; sleep 0.2; i=$((i+1)); done
  echo "guest: timed out waiting for $1"
}

echo "@@begin dmesg"; dmesg | grep -i ipmi; echo "@@end dmesg"
echo "@@begin ipmitool"
ipmitool -I open dcmi power reading
ipmitool -I open dcmi power get_limit
echo "@@end ipmitool"
echo "@@begin check"
bmcquietctl check --config /test/bmcquiet.yaml --sample 0.2 --json 2>/tmp/check.log
echo "@@end check $?"

bmcquietd --config /test/bmcquiet.yaml >/tmp/daemon.log 2>&1 &
daemon=$!
wait_for 'bmcquiet_policy_reapply_total{setting="power_cap"} 1'
wait_for 'bmcquiet_policy_reapply_total{setting="sol"} 1'
sleep 1
echo "@@begin quiet"; metrics; echo "@@end quiet"

guest_smi 5
wait_for '^bmcquiet_smi_total 5$'
sleep 1
echo "@@begin injected"; metrics; echo "@@end injected"

# The storm runs while the BMC holds one answer back (700 ms: longer than the
# dcmi interval, so a request is surely waiting, shorter than its 1 s timeout,
# so it completes): SMIs then land inside that request on this one CPU.
guest_smi --for 3000 &
storm=$!
sleep 1
echo "@@host hold-bmc"
wait $storm
sleep 1
echo "@@begin storm"; metrics; echo "@@end storm"

echo "@@host stop-bmc"
wait_for 'bmcquiet_collector_up{collector="dcmi"} 0'
# ... until one request has used up all its attempts (1 + retries 2).
i=0
while [ $i -lt 100 ] && ! metrics | grep -qE '^bmcquiet_ipmi_timeouts_total\{transport="inband"\} ([3-9]|[1-9][0-9]+)$'; do
  sleep 0.2; i=$((i+1))
done
echo "@@begin silent"; metrics; echo "@@end silent"
echo "@@host resume-bmc"
wait_for 'bmcquiet_collector_up{collector="dcmi"} 1'
echo "@@begin recovered"; metrics; echo "@@end recovered"

kill -TERM $daemon; wait $daemon
echo "@@begin daemon_log"; cat /tmp/daemon.log; echo "@@end daemon_log"
)";

double value(const std::string& scrape, const std::string& series) {
  auto v = sample_value(scrape, series);
  INFO(series << " in:\n" << scrape);
  REQUIRE(v.has_value());
  return *v;
}

json::object item(const json::value& check, const std::string& setting) {
  for (const auto& i : check.at("policy").at("items").as_array())
    if (i.at("setting").as_string() == setting) return i.as_object();
  FAIL("no policy item " << setting);
  return {};
}

// The only proof of the in-band path: in CI a missing guest is a failure
// (scripts/setup-test provides everything), elsewhere a skip that says what to run.
bool skip_without_guest() {
  for (const auto& why : {IpmiSim::unavailable(), QemuGuest::unavailable()}) {
    if (why.empty()) continue;
    if (guest_required()) FAIL("CI=true and " << why);
    WARN("SKIPPED: " << why);
    return true;
  }
  return false;
}

}  // namespace

TEST_CASE("in-band over Debian's ipmi_si KCS driver in a QEMU guest: DCMI, policy, self-cost",
          "[ipmi_sim][qemu]") {
  if (skip_without_guest()) return;
  IpmiSim sim(IpmiSim::Options{.sel_entries = 2, .vm_interface = true});
  REQUIRE(sim.start());

  // Over the LAN: an active 150 W cap (below the guest's 200 W floor), SOL on.
  // DCMI Set Power Limit: group, 3 reserved, action, limit, correction ms,
  // 2 reserved, sampling s (ipmitool's set_limit sends one field at a time).
  REQUIRE(run_command(sim.ipmitool("raw 0x2c 0x04 0xdc 0 0 0 0 0x96 0 0xe8 0x03 0 0 0 0 1 0"))
              .exit_code == 0);
  REQUIRE(run_command(sim.ipmitool("raw 0x2c 0x05 0xdc 1 0 0")).exit_code == 0);
  REQUIRE(run_command(sim.ipmitool("sol set enabled true 1")).exit_code == 0);

  QemuGuest guest;
  guest.add_file("bmcquiet.yaml", kGuestConfig);
  guest.add_file("run", kGuestScript);
  const auto run =
      guest.boot(sim.vm_port(),
                 {built_binary("daemon/bmcquietd"), built_binary("daemon/bmcquietctl"),
                  built_binary("tests/tools/qemu_guest/guest_smi"), "/usr/bin/ipmitool"},
                 180s, [&sim](const std::string& request) {
                   if (request == "hold-bmc") {
                     sim.pause();
                     std::this_thread::sleep_for(700ms);
                     sim.resume();
                   }
                   if (request == "stop-bmc") sim.pause();
                   if (request == "resume-bmc") sim.resume();
                 });
  INFO("console:\n" << run.console << "\nqemu:\n" << run.log << "\nipmi_sim:\n" << sim.log());
  REQUIRE(run.powered_off);
  // One boot, several findings: plain blocks, not SECTIONs (each would boot again).

  {
    INFO("the guest's kernel drives the simulator's BMC through KCS");
    CHECK_THAT(run.section("dmesg"), Catch::Contains("IPMI kcs interface initialized"));
    CHECK_THAT(run.section("dmesg"), Catch::Contains("man_id: 0x001291"));
    // ipmitool's in-band driver as the cross-check: the state set over the LAN.
    CHECK_THAT(run.section("ipmitool"), Catch::Contains("Instantaneous power reading:"));
    CHECK_THAT(run.section("ipmitool"), Catch::Contains("250 Watts"));
    CHECK_THAT(run.section("ipmitool"), Catch::Contains("150 Watts"));
  }

  {
    INFO("bmcquietctl check reads the drift in-band and changes nothing");
    boost::system::error_code ec;
    const auto check = json::parse(run.section("check"), ec);
    REQUIRE_FALSE(ec);
    CHECK(check.at("severity").as_string() == "CRITICAL");  // a cap below the floor
    CHECK(check.at("policy").at("identity").as_string() == "ipmi mfr 4753");
    const auto cap = item(check, "power_cap");
    CHECK(cap.at("state").as_string() == "drifted");
    CHECK(cap.at("current").as_string() == "150 W");
    CHECK(cap.at("transport").as_string() == "ipmi");
    CHECK(item(check, "sol").at("current").as_string() == "enabled");
    CHECK(item(check, "sel").at("current").as_string() == "2/100 (2%)");
  }

  {
    INFO("bmcquietd's DCMI collector and policy work in-band; no SMIs while quiet");
    const auto quiet = run.section("quiet");
    CHECK(value(quiet, R"(bmcquiet_collector_up{collector="dcmi"})") == 1);
    CHECK(value(quiet, R"(bmcquiet_power_consumed_watts{source="dcmi"})") == 250);
    CHECK(value(quiet, R"(bmcquiet_power_limit_watts{source="dcmi"})") == 200);
    CHECK(value(quiet, R"(bmcquiet_power_limit_active{source="dcmi"})") == 1);
    CHECK(value(quiet, R"(bmcquiet_ipmi_requests_total{transport="inband"})") >= 10);
    CHECK(value(quiet, R"(bmcquiet_ipmi_timeouts_total{transport="inband"})") == 0);
    CHECK(value(quiet, R"(bmcquiet_policy_compliant{setting="power_cap"})") == 1);
    CHECK(value(quiet, R"(bmcquiet_policy_compliant{setting="sol"})") == 1);
    CHECK(value(quiet, "bmcquiet_smi_total") == 0);
    CHECK(value(quiet, R"(bmcquiet_self_smi_total{cause="ipmi_inband"})") == 0);
    CHECK_THAT(quiet, Catch::Contains(R"(source="intel_msr")"));
    CHECK_THAT(run.section("daemon_log"), Catch::Contains("power_cap reapplied (150 W -> "));
    // The KCS driver's interrupt line ("ipmi_si" in /proc/interrupts) is
    // counted as the ipmi source: in-band polling has a visible interrupt cost.
    CHECK(value(quiet, R"(bmcquiet_interrupts_total{cpu_class="housekeeping",source="ipmi"})") > 0);
  }

  {
    INFO("the host reads back over the LAN what the guest wrote in-band");
    const auto limit = run_command(sim.ipmitool("dcmi power get_limit")).output;
    CHECK_THAT(limit, Catch::Contains("Power Limit Active"));
    CHECK_THAT(limit, Catch::Contains("200 Watts"));
    CHECK_THAT(run_command(sim.ipmitool("sol info 1")).output,
               Catch::Matches("(.|\n)*Enabled +: false(.|\n)*"));
  }

  {
    INFO(
        "a BMC that stops answering: in-band requests fail, the daemon keeps serving, "
        "dcmi is down, and it recovers when the BMC is back");
    const auto silent = run.section("silent");
    CHECK(value(silent, R"(bmcquiet_collector_up{collector="dcmi"})") == 0);
    CHECK(value(silent, R"(bmcquiet_collector_up{collector="smi"})") == 1);
    CHECK(value(silent, R"(bmcquiet_ipmi_timeouts_total{transport="inband"})") >= 3);
    const auto recovered = run.section("recovered");
    CHECK(value(recovered, R"(bmcquiet_collector_up{collector="dcmi"})") == 1);
    CHECK(value(recovered, R"(bmcquiet_power_consumed_watts{source="dcmi"})") == 250);
    CHECK_THAT(run.section("daemon_log"), Catch::Contains("collector dcmi is down"));
    CHECK_THAT(run.section("daemon_log"), Catch::Contains("no answer after 3 attempts"));
  }
  {
    INFO("real SMIs: counted exactly, and those inside in-band requests as self-cost");
    CHECK(value(run.section("injected"), "bmcquiet_smi_total") == 5);
    const auto storm = run.section("storm");
    CHECK(value(storm, "bmcquiet_smi_total") > 5);
    CHECK(value(storm, R"(bmcquiet_self_smi_total{cause="ipmi_inband"})") > 0);
    CHECK(value(storm, R"(bmcquiet_ipmi_requests_total{transport="inband"})") >
          value(run.section("injected"), R"(bmcquiet_ipmi_requests_total{transport="inband"})"));
  }
}
