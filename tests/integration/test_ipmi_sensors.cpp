// IPMI sensors from the SDR repository of OpenIPMI's ipmi_sim, loaded with
// SDRs compiled by OpenIPMI's own sdrcomp (tests/fixtures/ipmi): the reader's
// decoded values against ipmitool's and FreeIPMI's for the same simulator,
// the repository cache (1 + N requests per collection), and the collector's
// series on the Redfish side's names, gone when the BMC goes silent.
#include <boost/asio/io_context.hpp>

#include <map>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "bmc/bmc.hpp"
#include "collectors/ipmi_sensors.hpp"
#include "core/config_section.hpp"
#include "ipmi/client.hpp"
#include "ipmi/sdr_reader.hpp"
#include "metrics/metrics.hpp"
#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;
namespace sdr = bmcquiet::ipmi::sdr;

namespace {

IpmiSim::Options sensor_fixture() {
  IpmiSim::Options o;
  o.sdrs = fixture("ipmi/sensors.sdrs");
  o.emu = fixture("ipmi/sensors.emu");
  return o;
}

// ipmi_sim with the fixture, a lanplus client and a reader on it.
struct SdrRig {
  IpmiSim sim{sensor_fixture()};
  boost::asio::io_context io;
  std::shared_ptr<ipmi::Client> client;
  std::unique_ptr<ipmi::SdrReader> reader;

  bool start() {
    if (!sim.start()) return false;
    client = ipmi::Client::create(io, sim.client_config(), nullptr);
    reader = std::make_unique<ipmi::SdrReader>(client);
    return true;
  }
};

template <class Pred>
bool run_until(boost::asio::io_context& io, Pred done) {
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
  return done();
}

std::shared_ptr<const ipmi::SdrRepository> refresh(boost::asio::io_context& io,
                                                   ipmi::SdrReader& reader) {
  std::optional<ipmi::Result<std::shared_ptr<const ipmi::SdrRepository>>> out;
  reader.refresh([&](auto r) { out = std::move(r); });
  REQUIRE(run_until(io, [&] { return out.has_value(); }));
  INFO(out->error.message);
  REQUIRE(out->ok());
  return *out->value;
}

// Sensor number -> value, for every threshold sensor with a reading.
std::map<int, double> read_values(boost::asio::io_context& io, ipmi::Client& client,
                                  const ipmi::SdrRepository& repo) {
  std::map<int, double> values;
  std::size_t pending = 0;
  for (const auto& s : repo.sensors) {
    if (!s.threshold()) continue;
    ++pending;
    client.raw(sdr::get_sensor_reading(s.number), [&, s](ipmi::Result<ipmi::Response> r) {
      --pending;
      if (!r.ok()) return;
      auto g = sdr::parse_sensor_reading(*r.value);
      std::string why;
      if (g.ok() && g.value->available)
        if (auto v = sdr::convert(s, g.value->raw, &why)) values[s.number] = *v;
    });
  }
  REQUIRE(run_until(io, [&] { return pending == 0; }));
  return values;
}

// ipmitool sdr elist: "CPU Temp | 10h | ok | 3.1 | 45 degrees C".
std::map<int, double> ipmitool_values(const IpmiSim& sim) {
  auto r = run_command(sim.ipmitool("sdr elist"));
  REQUIRE(r.exit_code == 0);
  std::map<int, double> out;
  static const std::regex line(R"(\|\s*([0-9a-fA-F]{2})h\s*\|[^|]*\|[^|]*\|\s*(-?[0-9.]+) )");
  std::istringstream in(r.output);
  for (std::string l; std::getline(in, l);)
    if (std::smatch m; std::regex_search(l, m, line))
      out[std::stoi(m[1], nullptr, 16)] = std::stod(m[2]);
  return out;
}

// ipmi-sensors -v: "Sensor Number: 48" ... "Sensor Reading: 12.358000 V".
std::map<int, double> freeipmi_values(const IpmiSim& sim) {
  TempDir cache;
  auto r = run_command(sim.freeipmi(
      "ipmi-sensors", fmt::format("--sdr-cache-directory={} --quiet-cache -v", cache.path())));
  REQUIRE(r.exit_code == 0);
  std::map<int, double> out;
  int number = -1;
  std::istringstream in(r.output);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("Sensor Number: ", 0) == 0) number = std::stoi(l.substr(15));
    if (l.rfind("Sensor Reading: ", 0) == 0 && l.find("N/A") == std::string::npos)
      out[number] = std::stod(l.substr(16));
  }
  return out;
}

}  // namespace

TEST_CASE("IPMI SDR: decoded readings equal ipmitool's and FreeIPMI's for the same BMC",
          "[ipmi][ipmi_sim][sdr]") {
  if (skip_without_ipmi_sim()) return;
  SdrRig rig;
  REQUIRE(rig.start());
  auto& sim = rig.sim;
  auto& io = rig.io;
  auto& client = rig.client;
  auto& reader = rig.reader;

  auto repo = refresh(io, *reader);
  INFO(sim.log());
  CHECK(repo->problems.empty());
  REQUIRE(repo->sensors.size() == 11);
  std::map<int, sdr::SensorRecord> by_number;
  for (const auto& s : repo->sensors) by_number[s.number] = s;
  // Names as sdrcomp wrote them, 6-bit packed ones included (both tools
  // print those as raw bytes).
  CHECK(by_number[0x20].name == "FAN1");
  CHECK(by_number[0x30].name == "P12V");
  CHECK(by_number[0x40].name == "PS1 Input Power");
  CHECK(by_number[0x10].base_unit == sdr::kUnitCelsius);
  CHECK(by_number[0x11].format == sdr::AnalogFormat::twos_complement);
  CHECK(sdr::entity_name(by_number[0x20].entity_id, by_number[0x20].entity_instance) == "fan.1");
  CHECK_FALSE(by_number[0x50].threshold());

  const auto ours = read_values(io, *client, *repo);
  const std::map<int, double> expected = {{0x10, 45},   {0x11, -10},    {0x20, 3300},
                                          {0x21, 2800}, {0x30, 12.358}, {0x31, std::sqrt(6.4)},
                                          {0x40, 280}};
  CHECK(ours.size() == expected.size());  // 0x12 scanning off, 0x13 absent, 0x14 OEM: no value
  for (const auto& [n, v] : expected) {
    INFO("sensor " << n);
    REQUIRE(ours.count(n));
    CHECK(ours.at(n) == Approx(v).margin(1e-9));
  }
  const auto tool = ipmitool_values(sim);
  const auto free = freeipmi_values(sim);
  for (const auto& [n, v] : ours) {
    INFO("sensor 0x" << std::hex << n);
    REQUIRE(tool.count(n));
    CHECK(tool.at(n) == Approx(v).margin(0.006));  // ipmitool prints 2 decimals
    REQUIRE(free.count(n));
    CHECK(free.at(n) == Approx(v).margin(1e-6));
  }
  CHECK_FALSE(tool.count(0x12));
  CHECK_FALSE(free.count(0x12));
  CHECK_FALSE(free.count(0x13));
}

TEST_CASE("IPMI SDR: the repository is read once and again only when it changes",
          "[ipmi][ipmi_sim][sdr]") {
  if (skip_without_ipmi_sim()) return;
  SdrRig rig;
  REQUIRE(rig.start());
  auto& io = rig.io;
  auto& client = rig.client;
  auto& reader = rig.reader;

  const auto before = client->stats().requests;
  auto first = refresh(io, *reader);
  const auto walk = client->stats().requests - before;
  // info + reserve + a whole-record read ipmi_sim refuses (0xCA), then per
  // record its header and 32-byte chunks.
  CHECK(reader->stats().chunk == 32);
  CHECK(walk > 3 + first->records);
  CHECK(walk <= 3 + 3 * first->records);
  CHECK(reader->stats().walks == 1);
  auto second = refresh(io, *reader);
  CHECK(client->stats().requests - before == walk + 1);  // Get SDR Repository Info only
  CHECK(second == first);
  WARN("SDR walk: " << walk << " requests; cached refresh: 1 request; readings: "
                    << first->sensors.size() << " sensors");

  // Add SDR (Storage 0x24): the count and the add timestamp change. An OEM
  // record (type C0h) whose byte 5 is its length - 6: ipmi_sim 2.0.33 checks
  // the length against that byte instead of byte 4.
  const std::vector<std::uint8_t> rec = {0, 0, 0x51, 0xC0, 7, 6, 0, 0, 1, 2, 3, 4};
  std::optional<ipmi::Result<ipmi::Response>> added;
  client->raw({0x0A, 0x24, rec}, [&](auto r) { added = std::move(r); });
  REQUIRE(run_until(io, [&] { return added.has_value(); }));
  REQUIRE(added->ok());
  REQUIRE(int(added->value->cc) == 0);
  auto third = refresh(io, *reader);
  CHECK(reader->stats().walks == 2);
  CHECK(third->records == first->records + 1);
}

TEST_CASE("ipmi_sensors collector: Redfish-side names and labels, gone when the BMC is silent",
          "[ipmi][ipmi_sim][sdr][collector]") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim(sensor_fixture());
  REQUIRE(sim.start());
  boost::asio::io_context io;
  Metrics metrics;
  auto owner = bmc::Bmc::create(io, &metrics, {.ipmi = sim.client_config()});
  auto diag = std::make_shared<ConfigDiagnostics>("test");
  auto section = ConfigSection::parse("exclude: '^FAN2$'", diag);
  auto collector = make_ipmi_sensors_collector(CollectorEnv{io, metrics, {}, {}, owner}, section);
  REQUIRE(collector);
  collector->start();
  auto collect = [&] {
    std::optional<CollectOutcome> out;
    collector->collect([&](CollectOutcome o) { out = std::move(o); });
    REQUIRE(run_until(io, [&] { return out.has_value(); }));
    return *out;
  };

  auto outcome = collect();
  INFO(outcome.error);
  REQUIRE(outcome.ok);
  auto text = metrics.serialize();
  INFO(text);
  CHECK(
      sample_value(
          text,
          R"(bmcquiet_temperature_celsius{chassis="processor.1",id="0x20:0:16",sensor="CPU Temp"})") ==
      45);
  CHECK(
      sample_value(
          text,
          R"(bmcquiet_temperature_celsius{chassis="external_environment.1",id="0x20:0:17",sensor="Inlet Temp"})") ==
      -10);
  CHECK(sample_value(
            text, R"(bmcquiet_fan_speed_rpm{chassis="fan.1",fan="FAN1",id="0x20:0:32"})") == 3300);
  CHECK(text.find("FAN2") == std::string::npos);  // excluded: not even read
  CHECK(sample_value(
            text,
            R"(bmcquiet_voltage_volts{chassis="power_supply.1",id="0x20:0:48",sensor="P12V"})") ==
        Approx(12.358));
  CHECK(
      sample_value(
          text,
          R"(bmcquiet_power_sensor_watts{chassis="power_supply.1",id="0x20:0:64",sensor="PS1 Input Power"})") ==
      280);
  CHECK(text.find("DIMM Temp") == std::string::npos);   // no reading: absent, not 0
  CHECK(text.find("PS1 Status") == std::string::npos);  // discrete
  CHECK(sample_value(text, R"(bmcquiet_ipmi_sensors{state="read"})") == 6);
  CHECK(sample_value(text, R"(bmcquiet_ipmi_sensors{state="unavailable"})") == 2);
  CHECK(sample_value(text, R"(bmcquiet_ipmi_sensors{state="unsupported"})") == 1);
  CHECK(sample_value(text, "bmcquiet_ipmi_sdr_reads_total") == 1);
  const auto first_cost = sample_value(text, "bmcquiet_ipmi_sensor_requests");

  REQUIRE(collect().ok);
  text = metrics.serialize();
  // Cached: Get SDR Repository Info + one reading per sensor read (8 planned).
  CHECK(sample_value(text, "bmcquiet_ipmi_sensor_requests") == 1 + 8);
  CHECK(sample_value(text, "bmcquiet_ipmi_sdr_reads_total") == 1);
  WARN("ipmi_sensors requests per collection: first "
       << first_cost.value_or(-1) << ", cached "
       << sample_value(text, "bmcquiet_ipmi_sensor_requests").value_or(-1));

  sim.pause();
  outcome = collect();
  sim.resume();
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.kind == ProblemKind::timeout);
  text = metrics.serialize();
  CHECK(text.find("bmcquiet_temperature_celsius{") == std::string::npos);
  CHECK(text.find("bmcquiet_ipmi_sensors{") == std::string::npos);
  collector->stop();
}

TEST_CASE("bmcquietctl check: the IPMI sensor line from the collector run once",
          "[ipmi][ipmi_sim][sdr][check]") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim(sensor_fixture());
  REQUIRE(sim.start());
  TempDir dir;
  const auto config = dir.write(
      "bmcquiet.yaml",
      fmt::format("paths:\n  state: {}/state\nbmc:\n  ipmi:\n    transport: lanplus\n"
                  "    host: 127.0.0.1\n    port: {}\n    username: {}\n"
                  "    password_credential: \"\"\n    password_file: {}\n    cipher_suite: 3\n"
                  "    timeout: 300ms\n    retries: 0\n",
                  dir.path(), sim.port(), IpmiSim::kUser, sim.password_file()));
  auto run = run_command(built_binary("daemon/bmcquietctl") +
                         " check --json --sample 0.2 --config " + config);
  INFO(run.output);
  CHECK(
      run.output.find(
          R"("check":"ipmi_sensors","severity":"OK","reason":"7 IPMI sensor(s) read, 2 without a reading, 1 not readable here)") !=
      std::string::npos);

  sim.pause();  // a silent BMC: the sensor line says why
  run = run_command(built_binary("daemon/bmcquietctl") + " check --json --sample 0.2 --config " +
                    config);
  sim.resume();
  CHECK(run.output.find(R"("check":"ipmi_sensors","severity":"WARNING")") != std::string::npos);
}
