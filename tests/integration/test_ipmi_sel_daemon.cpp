// bmcquietd's ipmi_sel collector over lanplus against ipmi_sim: SEL fill on the
// Redfish side's series ({log="ipmi_sel"}) and the BMC's identity, each number
// cross-checked with ipmitool and FreeIPMI run against the same simulator;
// entries added and the SEL cleared from outside; a BMC that stops answering
// (up=0, every series gone, none frozen) and comes back.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <ctime>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "support/bmcsim.hpp"
#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"
#include "support/scrape.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

// Only ipmi_sel talks to the BMC.
constexpr const char* kOnlyIpmiSel = R"(collectors:
  interrupts: {enabled: false}
  tsc_gap: {enabled: false}
  policy: {enabled: false}
  dcmi: {enabled: false}
)";

std::string daemon_config(const TempDir& dir, const IpmiSim& sim) {
  return fmt::format(R"(paths:
  state: {}/state
bmc:
  ipmi:
    transport: lanplus
    host: 127.0.0.1
    port: {}
    username: {}
    password_credential: ""
    password_file: {}
    cipher_suite: 3
    timeout: 100ms
    retries: 0
{}  ipmi_sel: {{interval: 250ms}}
)",
                     dir.path(), sim.port(), IpmiSim::kUser, sim.password_file(), kOnlyIpmiSel);
}

// "Label   : value" from a tool's output, as a number (nullopt when absent).
std::optional<double> field(const std::string& output, const std::string& label) {
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(label + R"(\s*:\s*(\d+))"))) return std::nullopt;
  return std::stod(m[1]);
}

const std::string kUp = R"(bmcquiet_collector_up{collector="ipmi_sel"})";
const std::string kEntries = R"(bmcquiet_sel_entries{log="ipmi_sel"})";
const std::string kCapacity = R"(bmcquiet_sel_capacity_entries{log="ipmi_sel"})";
const std::string kFree = R"(bmcquiet_sel_free_bytes{log="ipmi_sel"})";
const std::string kOverflow = R"(bmcquiet_sel_overflow{log="ipmi_sel"})";
const std::string kLastAdd = R"(bmcquiet_sel_last_add_timestamp_seconds{log="ipmi_sel"})";
const std::string kLastErase = R"(bmcquiet_sel_last_erase_timestamp_seconds{log="ipmi_sel"})";

// The simulator's SEL clock is its uptime until set; Set SEL Time (raw, as
// ipmitool's `sel time set` cannot parse its own format here).
void set_sel_time(const IpmiSim& sim, std::uint32_t t) {
  auto r = run_command(sim.ipmitool(fmt::format("raw 0x0a 0x49 {} {} {} {}", t & 0xFF,
                                                (t >> 8) & 0xFF, (t >> 16) & 0xFF, t >> 24)));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
}

void add_sel_entry(const IpmiSim& sim) {
  auto r = run_command(
      sim.ipmitool("raw 0x0a 0x44 0 0 0x02 0 0 0 0 0x20 0 0x04 0x01 0x01 0x01 0x52 0x01 0x70"));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("bmcquietd exports the SEL and identity over lanplus as ipmitool and FreeIPMI see them",
          "[ipmi][ipmi_sim][daemon][sel]") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim(3);
  REQUIRE(sim.start());
  TempDir dir;
  auto config = dir.write("bmcquiet.yaml", daemon_config(dir, sim));
  auto started = start_daemon(dir, config);
  auto& daemon = *started.process;
  const auto url = started.url;

  auto body = scrape_until(url, kEntries, 3.0);
  INFO(body);
  REQUIRE(sample_value(body, kUp) == 1.0);
  const auto ipmitool = run_command(sim.ipmitool("sel info"));
  const auto freeipmi = run_command(sim.freeipmi("ipmi-sel", "--info"));
  INFO(ipmitool.output << freeipmi.output);
  REQUIRE(ipmitool.exit_code == 0);
  REQUIRE(freeipmi.exit_code == 0);
  CHECK(sample_value(body, kEntries) == field(ipmitool.output, "Entries"));
  CHECK(sample_value(body, kFree) == field(ipmitool.output, "Free Space"));
  CHECK(sample_value(body, kEntries) == field(freeipmi.output, "Number of log entries"));
  CHECK(sample_value(body, kFree) == field(freeipmi.output, "Free space remaining"));
  // ipmi_sim's SEL holds 100 (sel_enable 0x20 100): entries + free / 16.
  CHECK(sample_value(body, kCapacity) == 100.0);
  CHECK(sample_value(body, kOverflow) == 0.0);
  CHECK_THAT(ipmitool.output, Catch::Matches(R"([\s\S]*Overflow\s*: false[\s\S]*)"));
  // Its clock is not set: times since its start ("S+ 03:15:26"), not wall time.
  CHECK_THAT(ipmitool.output, Catch::Matches(R"([\s\S]*Last Add Time\s*: S\+[\s\S]*)"));
  CHECK_FALSE(sample_value(body, kLastAdd));
  CHECK_FALSE(sample_value(body, kLastErase));

  // Identity as `ipmitool mc info` shows it: manufacturer 4753 is not a
  // vendor bmcquiet knows, so it is named by its number.
  const auto mc = run_command(sim.ipmitool("mc info"));
  INFO(mc.output);
  REQUIRE(field(mc.output, "Manufacturer ID") == 4753.0);
  CHECK_THAT(mc.output, Catch::Matches(R"([\s\S]*Firmware Revision\s*: 9\.08[\s\S]*)"));
  CHECK_THAT(mc.output, Catch::Matches(R"([\s\S]*Product ID\s*: 3842 \(0x0f02\)[\s\S]*)"));
  CHECK(
      sample_value(
          body,
          R"(bmcquiet_bmc_info{firmware="9.08",model="0x0f02",source="ipmi",vendor="iana:4753"})") ==
      1.0);

  // Wall time set, an entry added from outside: the count and the time follow.
  const auto now = std::uint32_t(std::time(nullptr));
  set_sel_time(sim, now);
  add_sel_entry(sim);
  body = scrape_until(url, kEntries, 4.0);
  CHECK(sample_value(body, kEntries) == 4.0);
  CHECK(sample_value(body, kCapacity) == 100.0);
  const auto added = sample_value(body, kLastAdd);
  REQUIRE(added);
  CHECK(*added >= now);
  CHECK(*added <= now + 5);
  char shown[32];
  const std::time_t t = std::time_t(*added);
  std::strftime(shown, sizeof shown, "%m/%d/%y %H:%M:%S", std::gmtime(&t));
  CHECK_THAT(run_command(sim.ipmitool("sel info")).output,
             Catch::Contains(std::string("Last Add Time    : ") + shown));

  // Cleared from outside: no entries, the erase time is wall time now.
  REQUIRE(run_command(sim.ipmitool("sel clear")).exit_code == 0);
  body = scrape_until(url, kEntries, 0.0);
  CHECK(sample_value(body, kEntries) == 0.0);
  CHECK(sample_value(body, kFree) == 1600.0);
  const auto erased = sample_value(body, kLastErase);
  REQUIRE(erased);
  CHECK(*erased >= now);

  // The BMC stops answering: down, and every series of it goes (none frozen).
  sim.pause();
  body = scrape_until(url, kUp, 0.0);
  CHECK(sample_value(body, kUp) == 0.0);
  for (const auto& series : {kEntries, kCapacity, kFree, kOverflow, kLastErase})
    CHECK_FALSE(sample_value(body, series));
  CHECK(body.find("bmcquiet_bmc_info{") == std::string::npos);
  CHECK(daemon.running());

  sim.resume();
  body = scrape_until(url, kUp, 1.0);
  CHECK(sample_value(body, kEntries) == 0.0);
  CHECK(body.find(R"(source="ipmi")") != std::string::npos);

  daemon.signal(SIGTERM);
  auto status = daemon.wait(5s);
  REQUIRE(status);
  CHECK(*status == 0);
}

TEST_CASE("bmcquietd with both Redfish and IPMI keeps each source's identity and SEL apart",
          "[ipmi][ipmi_sim][redfish][daemon][sel]") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim(3);
  REQUIRE(sim.start());
  BmcSim redfish({fixture_dir("redfish/supermicro")});
  TempDir dir;
  auto password = dir.write("redfish-password", "secret");
  ::chmod(password.c_str(), 0600);
  auto text = daemon_config(dir, sim);
  text.replace(text.find("  ipmi:\n"), 0,
               fmt::format("  redfish:\n    url: {}\n    insecure: true\n    username: admin\n"
                           "    password_file: {}\n",
                           redfish.url(), password));
  text += "  redfish: {interval: 250ms}\n";
  auto config = dir.write("bmcquiet.yaml", text);
  auto started = start_daemon(dir, config);
  auto& daemon = *started.process;
  const auto url = started.url;
  const std::string ipmi_info =
      R"(bmcquiet_bmc_info{firmware="9.08",model="0x0f02",source="ipmi",vendor="iana:4753"})";
  const std::string up = R"(bmcquiet_collector_up{collector="redfish"})";
  scrape_until(url, up, 1.0);
  scrape_until(url, ipmi_info, 1.0);
  // Several rounds of each: neither source's identity replaces the other's.
  for (int i = 0; i < 8; ++i) {
    auto body = http_get(url).body;
    INFO(body);
    CHECK(sample_value(body, ipmi_info) == 1.0);
    CHECK(body.find(R"(source="redfish",vendor="Supermicro"})") != std::string::npos);
    CHECK(sample_value(body, kEntries) == 3.0);
    std::this_thread::sleep_for(150ms);
  }
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(5s) == 0);
}

TEST_CASE("bmcquietctl check reports the SEL fill over IPMI with the alert's threshold",
          "[ipmi][ipmi_sim][check][sel]") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim(3);
  REQUIRE(sim.start());
  TempDir dir;
  auto config = dir.write("bmcquiet.yaml", daemon_config(dir, sim));
  auto r = run_command(built_binary("daemon/bmcquietctl") + " check --sample 0.2 --config " +
                       config + " 2>/dev/null");
  INFO(r.output);
  CHECK_THAT(r.output,
             Catch::Contains("SEL        SEL 3 of 100 entries (3.0 %); warning above 90 % "
                             "(BmcQuietSelNearlyFull)"));
  CHECK(r.output.find("sel: SEL") == std::string::npos);  // OK: not among the problems
}

TEST_CASE("bmcquietd reads an in-band BMC's SEL only when collectors.ipmi_sel.inband is set",
          "[ipmi][daemon][sel]") {
  // Each in-band request may raise an SMI: off by default. The device is
  // absent here, so the opted-in collector runs and is down; the default one
  // does not run at all.
  for (const bool inband : {false, true}) {
    TempDir dir;
    auto config = dir.write("bmcquiet.yaml", fmt::format(R"(paths:
  state: {0}/state
  devfs: {0}/dev
bmc:
  ipmi:
    transport: inband
    count_smis: false
    timeout: 100ms
    retries: 0
{2}  ipmi_sel: {{interval: 250ms, inband: {1}}}
)",
                                                         dir.path(), inband, kOnlyIpmiSel));
    auto started = start_daemon(dir, config);
    const auto url = started.url;
    if (!inband) std::this_thread::sleep_for(1s);  // 4 intervals: it would have run by now
    auto body = scrape_until(url, kUp, inband ? std::optional<double>(0.0) : std::nullopt);
    INFO("inband: " << inband << "\n" << body);
    CHECK(sample_value(body, kUp) == (inband ? std::optional<double>(0.0) : std::nullopt));
    CHECK_FALSE(sample_value(body, kEntries));
  }
}
