// SDR decoding and reading conversion against the IPMI 2.0 formulas (§36.3:
// y = L[(M x + B 10^Bexp) 10^Rexp]) and record layouts (§43.1, §43.2, §43.15),
// with the boundaries of each field.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cmath>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "bmc/bmc.hpp"
#include "collectors/ipmi_sensors.hpp"
#include "core/config_section.hpp"
#include "ipmi/codec.hpp"
#include "ipmi/sdr.hpp"
#include "ipmi/sdr_reader.hpp"
#include "ipmi/transport.hpp"
#include "metrics/metrics.hpp"
#include "redfish/client.hpp"

using namespace bmcquiet;
using namespace bmcquiet::ipmi;
namespace sdr = bmcquiet::ipmi::sdr;

namespace {

struct Factors {
  int m = 1, b = 0, r_exp = 0, b_exp = 0;
  std::uint8_t format = 0;  // analog data format, bits 7:6 of byte 21
  std::uint8_t linearization = 0;
  std::uint8_t unit = sdr::kUnitCelsius;
  std::uint8_t type = sdr::kTypeTemperature;
  std::uint8_t reading_type = 0x01;
  std::uint8_t units1 = 0;  // rate, modifier, percentage bits
};

// A Full Sensor Record (§43.1) with an 8-bit ASCII ID string.
Bytes full_record(const Factors& f, const std::string& name = "Temp") {
  Bytes r(48, 0);
  r[0] = 0x34, r[1] = 0x12, r[2] = 0x51, r[3] = 0x01;
  r[5] = 0x20, r[6] = 0x00, r[7] = 0x42, r[8] = 0x07, r[9] = 0x02;
  r[12] = f.type, r[13] = f.reading_type;
  r[20] = std::uint8_t(f.format << 6 | f.units1), r[21] = f.unit;
  r[23] = f.linearization;
  const unsigned m = unsigned(f.m) & 0x3FF, b = unsigned(f.b) & 0x3FF;
  r[24] = std::uint8_t(m), r[25] = std::uint8_t((m >> 8) << 6);
  r[26] = std::uint8_t(b), r[27] = std::uint8_t((b >> 8) << 6);
  r[29] = std::uint8_t((unsigned(f.r_exp) & 0x0F) << 4 | (unsigned(f.b_exp) & 0x0F));
  r[47] = std::uint8_t(0xC0 | name.size());
  for (char c : name)
    r.push_back(std::uint8_t(c));  // (insert: a GCC 12 -Warray-bounds false positive)
  r[4] = std::uint8_t(r.size() - 5);
  return r;
}

sdr::SensorRecord decoded(const Factors& f) {
  auto d = sdr::decode(full_record(f));
  REQUIRE(d.sensors.size() == 1);
  return d.sensors[0];
}

std::optional<double> value(const Factors& f, std::uint8_t raw) {
  std::string why;
  return sdr::convert(decoded(f), raw, &why);
}

std::string id_string(const Bytes& b) {
  std::size_t used = 0;
  return sdr::decode_id_string(b.data(), b.size(), &used);
}

}  // namespace

TEST_CASE("SDR: full record fields", "[ipmi][sdr]") {
  auto s = decoded({.m = 3, .b = -7, .r_exp = -2, .b_exp = 1});
  CHECK(s.record_id == 0x1234);
  CHECK(s.owner_id == 0x20);
  CHECK(s.number == 0x42);
  CHECK(s.id() == "0x20:0:66");
  CHECK(sdr::entity_name(s.entity_id, s.entity_instance) == "system_board.2");
  CHECK(s.name == "Temp");
  CHECK(s.m == 3);
  CHECK(s.b == -7);
  CHECK(s.r_exp == -2);
  CHECK(s.b_exp == 1);
  CHECK(s.threshold());
}

TEST_CASE("SDR: reading conversion, analog formats at their boundaries", "[ipmi][sdr]") {
  CHECK(value({}, 0x00) == 0.0);
  CHECK(value({}, 0xFF) == 255.0);
  CHECK(value({.format = 2}, 0x7F) == 127.0);
  CHECK(value({.format = 2}, 0x80) == -128.0);
  CHECK(value({.format = 2}, 0xFF) == -1.0);
  CHECK(value({.format = 1}, 0xFF) == 0.0);  // 1's complement "-0"
  CHECK(value({.format = 1}, 0x80) == -127.0);
  CHECK(value({.format = 1}, 0xFE) == -1.0);
  std::string why;
  CHECK_FALSE(sdr::convert(decoded({.format = 3}), 0x10, &why));
  CHECK(why.find("no analog reading") != std::string::npos);
}

TEST_CASE("SDR: M, B and exponents as 10-bit and 4-bit two's complement", "[ipmi][sdr]") {
  CHECK(decoded({.m = 511}).m == 511);
  CHECK(decoded({.m = -512}).m == -512);
  CHECK(decoded({.b = -1}).b == -1);
  CHECK(decoded({.r_exp = 7}).r_exp == 7);
  CHECK(decoded({.r_exp = -8}).r_exp == -8);
  CHECK(decoded({.b_exp = -8}).b_exp == -8);
  // (118 x - 15 * 10) / 1000 at x = 106: 12.358
  CHECK(*value({.m = 118, .b = -15, .r_exp = -3, .b_exp = 1}, 106) == Approx(12.358));
  CHECK(*value({.m = 60}, 0x37) == 3300.0);
  CHECK(*value({.m = -512, .b = 511, .r_exp = 0, .b_exp = 0}, 2) == -513.0);
  CHECK(*value({.m = 1, .b = 1, .r_exp = 7, .b_exp = 7}, 0) == Approx(1e14));
  CHECK(*value({.m = 1, .r_exp = -8}, 255) == Approx(255e-8));
}

TEST_CASE("SDR: linearization functions, their domains and OEM non-linear", "[ipmi][sdr]") {
  CHECK(*value({.linearization = 0x01}, 1) == Approx(0.0));                   // ln
  CHECK(*value({.linearization = 0x02}, 100) == Approx(2.0));                 // log10
  CHECK(*value({.linearization = 0x03}, 8) == Approx(3.0));                   // log2
  CHECK(*value({.linearization = 0x04}, 1) == Approx(std::exp(1.0)));         // e
  CHECK(*value({.linearization = 0x05}, 2) == Approx(100.0));                 // exp10
  CHECK(*value({.linearization = 0x06}, 10) == Approx(1024.0));               // exp2
  CHECK(*value({.linearization = 0x07}, 4) == Approx(0.25));                  // 1/x
  CHECK(*value({.linearization = 0x08}, 12) == Approx(144.0));                // sqr
  CHECK(*value({.linearization = 0x09}, 3) == Approx(27.0));                  // cube
  CHECK(*value({.linearization = 0x0A}, 64) == Approx(8.0));                  // sqrt
  CHECK(*value({.format = 2, .linearization = 0x0B}, 0xF8) == Approx(-2.0));  // cube root of -8
  CHECK_FALSE(value({.linearization = 0x01}, 0));                             // ln 0
  CHECK_FALSE(value({.linearization = 0x07}, 0));                             // 1/0
  CHECK_FALSE(value({.format = 2, .linearization = 0x0A}, 0xFF));             // sqrt(-1)
  std::string why;
  CHECK_FALSE(sdr::convert(decoded({.linearization = 0x70}), 1, &why));
  CHECK(why.find("OEM non-linear") != std::string::npos);
  CHECK_FALSE(sdr::convert(decoded({.linearization = 0x0C}), 1, &why));
  CHECK(why.find("reserved") != std::string::npos);
}

TEST_CASE("SDR: ID strings in every type/length encoding", "[ipmi][sdr]") {
  CHECK(id_string({0xC8, 'C', 'P', 'U', ' ', 'T', 'e', 'm', 'p'}) == "CPU Temp");
  CHECK(id_string({0xC6, 'F', 'a', 'n', 0, 0, 0}) == "Fan");   // NUL padding
  CHECK(id_string({0xC5, 'F', 'a', 'n', ' ', ' '}) == "Fan");  // space padding
  CHECK(id_string({0xC3, 'A', 0x07, 'B'}) == "A?B");           // control byte
  CHECK(id_string({0xCF, 'S', 'h', 'o'}) == "Sho");            // length past the record
  // 6-bit packed "P12V": 0x30 0x11 0x12 0x36 -> 70 24 d9; the spec counts 3
  // bytes, OpenIPMI's sdrcomp writes 4 (characters).
  CHECK(id_string({0x83, 0x70, 0x24, 0xD9}) == "P12V");
  CHECK(id_string({0x84, 0x70, 0x24, 0xD9}) == "P12V");
  CHECK(id_string({0x42, 0x12, 0xC5}) == "12.5");  // BCD plus: 1 2 . 5
  CHECK(id_string({0x02, 0x41, 0x00}) == "4100");  // unicode: shown as hex
  CHECK(id_string({0xC0}).empty());
  CHECK(id_string({}).empty());
}

TEST_CASE("SDR: other record types and malformed records", "[ipmi][sdr]") {
  auto mc = sdr::decode({0x01, 0x00, 0x51, 0x12, 0x00});
  CHECK(mc.sensors.empty());
  CHECK_FALSE(mc.error);
  CHECK(mc.why.find("0x12") != std::string::npos);
  CHECK(sdr::decode({0x01, 0x00, 0x51}).error);
  auto r = full_record({});
  r.resize(40);
  CHECK(sdr::decode(r).error);
  r = full_record({});
  r[4] = 200;  // says more than there is
  CHECK(sdr::decode(r).error);
  r = full_record({});
  r[4] = 2;  // ends before the ID string (found by tests/fuzz/ipmi_sdr.cpp)
  CHECK(sdr::decode(r).error);
}

TEST_CASE("SDR: a compact record shared among several sensors", "[ipmi][sdr]") {
  Bytes r(32, 0);
  r[2] = 0x51, r[3] = 0x02;
  r[5] = 0x20, r[7] = 0x60, r[8] = 0x20, r[9] = 0x01;
  r[12] = 0x0C, r[13] = 0x6F;
  r[23] = 0x03;  // numeric modifier, share count 3
  r[24] = 0x80;  // entity instance increments, offset 0
  r[31] = 0xC4;
  for (char c : std::string("DIMM")) r.push_back(std::uint8_t(c));
  r[4] = std::uint8_t(r.size() - 5);
  auto d = sdr::decode(r);
  REQUIRE(d.sensors.size() == 3);
  CHECK(d.sensors[0].name == "DIMM0");
  CHECK(d.sensors[2].name == "DIMM2");
  CHECK(d.sensors[2].number == 0x62);
  CHECK(d.sensors[2].entity_instance == 3);
  CHECK(d.sensors[0].format == sdr::AnalogFormat::none);
  CHECK_FALSE(d.sensors[0].threshold());
}

TEST_CASE("SDR: repository info, Get SDR and sensor reading answers", "[ipmi][sdr]") {
  auto info =
      sdr::parse_repository_info({0, {0x51, 0x0B, 0x00, 0xFE, 0xFF, 1, 0, 0, 0, 2, 0, 0, 0, 0x02}});
  REQUIRE(info.ok());
  CHECK(info.value->records == 11);
  CHECK(info.value->last_add == 1);
  CHECK(info.value->last_erase == 2);
  CHECK(info.value->supports_reserve);
  CHECK_FALSE(sdr::parse_repository_info({0, {0x51, 0x0B}}).ok());
  CHECK(sdr::parse_repository_info({0xC1, {}}).error.cc == 0xC1);

  auto chunk = sdr::parse_sdr({0, {0x05, 0x00, 0xAA, 0xBB}});
  REQUIRE(chunk.ok());
  CHECK(chunk.value->next_record == 5);
  CHECK(chunk.value->data == Bytes{0xAA, 0xBB});
  auto q = sdr::get_sdr(0x1234, 0x0005, 16, 32);
  CHECK(q.data == Bytes{0x34, 0x12, 0x05, 0x00, 16, 32});

  CHECK(sdr::parse_sensor_reading({0, {0x2D, 0xC0}}).value->available);
  CHECK_FALSE(sdr::parse_sensor_reading({0, {0x2D, 0x80}}).value->available);  // scanning off
  CHECK_FALSE(sdr::parse_sensor_reading({0, {0x2D, 0x60}}).value->available);  // unavailable
  CHECK_FALSE(sdr::parse_sensor_reading({0, {0x2D}}).ok());
  CHECK(sdr::parse_sensor_reading({0xCB, {}}).error.cc == 0xCB);
}

TEST_CASE("ipmi_sensors: which sensors become which series", "[ipmi][sdr][collector]") {
  auto f = ipmi_sensor_series(decoded({.unit = sdr::kUnitFahrenheit}), 212);
  REQUIRE(f);
  CHECK(std::string(f->metric) == "bmcquiet_temperature_celsius");
  CHECK(f->value == Approx(100.0));
  CHECK(f->labels.at("chassis") == "system_board.2");
  CHECK(f->labels.at("sensor") == "Temp");
  CHECK(f->labels.at("id") == "0x20:0:66");
  auto rpm = ipmi_sensor_series(decoded({.unit = sdr::kUnitRpm, .type = sdr::kTypeFan}), 3000);
  REQUIRE(rpm);
  CHECK(std::string(rpm->metric) == "bmcquiet_fan_speed_rpm");
  CHECK(rpm->labels.count("fan"));
  auto pct = ipmi_sensor_series(decoded({.unit = 0, .type = sdr::kTypeFan, .units1 = 0x01}), 40);
  REQUIRE(pct);
  CHECK(std::string(pct->metric) == "bmcquiet_fan_speed_ratio");
  CHECK(pct->value == Approx(0.4));
  CHECK(std::string(ipmi_sensor_series(decoded({.unit = sdr::kUnitWatts}), 1)->metric) ==
        "bmcquiet_power_sensor_watts");
  CHECK_FALSE(ipmi_sensor_series(decoded({.reading_type = 0x6F}), 1));   // discrete
  CHECK_FALSE(ipmi_sensor_series(decoded({.unit = 17}), 1));             // CFM: not exported
  CHECK_FALSE(ipmi_sensor_series(decoded({.units1 = 0x08 | 0x02}), 1));  // per-second rate
}

namespace {

// A BMC's SDR repository as some real ones behave and ipmi_sim cannot: Get
// SDR refuses more than max_read bytes (0xCA), and the repository changes
// once mid-walk (the reservation is lost: 0xC5). Served through the Client's
// own queue via its transport seam.
class FakeRepository final : public Transport {
 public:
  FakeRepository(boost::asio::io_context& io, std::vector<Bytes> records)
      : io_(io), records_(std::move(records)) {}

  void send(const Request& q, ResponseDone done) override {
    boost::asio::post(
        io_, [r = answer(q), done = std::move(done)] { done(Result<Response>::success(r)); });
  }
  void close() override {}
  std::uint64_t timeouts() const override { return 0; }

  std::size_t max_read = 16;
  int lose_reservation_at = 4;  // the Nth Get SDR finds its reservation cancelled
  bool loop = false;            // the last record points back at the first
  int reserves = 0, reads = 0;

 private:
  Response answer(const Request& q) {
    if (q.cmd == 0x20) {
      Response r{
          0, {0x51, std::uint8_t(records_.size()), 0, 0xFF, 0xFF, 9, 0, 0, 0, 0, 0, 0, 0, 0x02}};
      return r;
    }
    if (q.cmd == 0x22) {
      ++reserves;
      return {0, {std::uint8_t(++reservation_), 0}};
    }
    const auto id = codec::le16(&q.data[2]);
    const std::size_t offset = q.data[4], count = q.data[5];
    if (++reads == lose_reservation_at) ++reservation_;
    if (offset && codec::le16(&q.data[0]) != reservation_) return {kCcInvalidReservation, {}};
    if (count > max_read) return {0xCA, {}};
    const std::size_t index = id ? id - 1 : 0;
    if (index >= records_.size()) return {0xCB, {}};
    const auto& rec = records_[index];
    const std::uint16_t next =
        index + 1 < records_.size() ? std::uint16_t(index + 2) : (loop ? 1 : sdr::kLastRecord);
    Response r{0, {}};
    codec::put16(r.data, next);
    for (std::size_t i = offset; i < std::min(rec.size(), offset + count); ++i)
      r.data.push_back(rec[i]);
    return r;
  }

  boost::asio::io_context& io_;
  std::vector<Bytes> records_;
  int reservation_ = 0;
};

Result<std::shared_ptr<const SdrRepository>> walk(boost::asio::io_context& io, SdrReader& reader) {
  std::optional<Result<std::shared_ptr<const SdrRepository>>> out;
  reader.refresh([&out](auto r) { out = std::move(r); });
  io.restart();
  while (!out && io.run_one_for(std::chrono::seconds(1))) {
  }
  REQUIRE(out);
  return std::move(*out);
}

}  // namespace

TEST_CASE("SDR reader: 16-byte reads, a reservation lost mid-walk, then the cache", "[ipmi][sdr]") {
  boost::asio::io_context io;
  std::vector<Bytes> records;
  for (int i = 0; i < 3; ++i) {
    auto r = full_record({.m = i + 1}, fmt::format("Sensor {}", i));
    r[0] = std::uint8_t(i + 1);
    r[1] = 0;
    records.push_back(r);
  }
  auto fake = std::make_shared<FakeRepository>(io, records);
  auto client = make_client(io, ClientConfig{}, nullptr, fake);
  SdrReader reader(client);

  auto repo = walk(io, reader);
  INFO(repo.error.message);
  REQUIRE(repo.ok());
  REQUIRE((*repo.value)->sensors.size() == 3);
  CHECK((*repo.value)->sensors[2].name == "Sensor 2");
  CHECK((*repo.value)->sensors[2].m == 3);
  CHECK(reader.stats().chunk == 16);  // 0xFF refused, 32 refused, 16 taken
  CHECK(fake->reserves == 2);         // at the start, and again after 0xC5
  CHECK(reader.stats().walks == 1);
  const auto requests = reader.stats().requests;
  REQUIRE(walk(io, reader).ok());
  CHECK(reader.stats().requests == requests + 1);  // unchanged: Get SDR Repository Info only

  SdrReader looping(client);
  fake->loop = true;
  fake->lose_reservation_at = -1;
  auto broken = walk(io, looping);
  REQUIRE_FALSE(broken.ok());
  INFO(broken.error.message);
  CHECK(broken.error.message.find("loops") != std::string::npos);
}

TEST_CASE("ipmi_sensors: off beside Redfish and in-band unless asked, a bad exclude is an error",
          "[ipmi][sdr][collector][config]") {
  boost::asio::io_context io;
  Metrics metrics;
  ClientConfig lan;
  lan.host = "127.0.0.1";
  ClientConfig inband;
  inband.transport = TransportKind::inband;
  redfish::ClientOptions rf;
  rf.url = "https://127.0.0.1:1";
  auto built = [&](bmc::Transports t, const char* yaml, bool* ok = nullptr) {
    auto owner = bmc::Bmc::create(io, nullptr, std::move(t));
    auto diag = std::make_shared<ConfigDiagnostics>("t");
    auto section = ConfigSection::parse(yaml, diag);
    auto c = make_ipmi_sensors_collector(CollectorEnv{io, metrics, {}, {}, owner}, section);
    if (ok) *ok = diag->ok();
    return c != nullptr;
  };
  CHECK(built({.ipmi = lan}, "{}"));
  CHECK_FALSE(built({.redfish = rf, .ipmi = lan}, "{}"));
  CHECK(built({.redfish = rf, .ipmi = lan}, "with_redfish: true"));
  CHECK_FALSE(built({.ipmi = inband}, "{}"));
  CHECK(built({.ipmi = inband}, "inband: true"));
  CHECK_FALSE(built({}, "{}"));
  bool ok = true;
  built({.ipmi = lan}, "exclude: '(unclosed'", &ok);
  CHECK_FALSE(ok);
}
