#include "ipmi/sdr.hpp"

#include <array>
#include <cmath>

#include <fmt/format.h>

#include "ipmi/codec.hpp"

namespace bmcquiet::ipmi::sdr {
namespace {

constexpr std::uint8_t kCmdRepositoryInfo = 0x20;
constexpr std::uint8_t kCmdReserve = 0x22;
constexpr std::uint8_t kCmdGetSdr = 0x23;
constexpr std::uint8_t kCmdSensorReading = 0x2D;
constexpr std::uint8_t kTypeFull = 0x01, kTypeCompact = 0x02;
constexpr std::size_t kFullIdOffset = 47, kCompactIdOffset = 31;

Error malformed(std::string what) { return Error{Status::malformed, 0, std::move(what)}; }

// A field of `bits` bits in two's complement.
int sign_extend(unsigned value, unsigned bits) {
  const unsigned sign = 1u << (bits - 1);
  return int(value ^ sign) - int(sign);
}

char printable(std::uint8_t c) { return c >= 0x20 && c < 0x7F ? char(c) : '?'; }

std::string trim_name(std::string s) {
  if (auto nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// §43.15: 6-bit packed ASCII, four characters in three bytes, least
// significant bits first; each code is the character minus 0x20.
std::string six_bit(const std::uint8_t* p, std::size_t size) {
  std::string out;
  std::uint32_t acc = 0;
  unsigned bits = 0;
  for (std::size_t i = 0; i < size; ++i) {
    acc |= std::uint32_t(p[i]) << bits;
    bits += 8;
    while (bits >= 6) {
      out.push_back(char(0x20 + (acc & 0x3F)));
      acc >>= 6;
      bits -= 6;
    }
  }
  return out;
}

std::string bcd_plus(const std::uint8_t* p, std::size_t size) {
  static constexpr char kDigits[] = "0123456789 -.:,_";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 0x0F]);
  }
  return out;
}

// Fields common to Full and Compact records, bytes 5-22 (0-based).
SensorRecord common_fields(const Bytes& r) {
  SensorRecord s;
  s.record_id = codec::le16(&r[0]);
  s.record_type = r[3];
  s.owner_id = r[5];
  s.owner_lun = r[6] & 0x03;
  s.number = r[7];
  s.entity_id = r[8];
  s.entity_instance = r[9] & 0x7F;
  s.sensor_type = r[12];
  s.reading_type = r[13];
  s.format = AnalogFormat(r[20] >> 6);
  s.rate_unit = (r[20] >> 3) & 0x07;
  s.modifier_use = (r[20] >> 1) & 0x03;
  s.percentage = r[20] & 0x01;
  s.base_unit = r[21];
  s.modifier_unit = r[22];
  return s;
}

void full_fields(const Bytes& r, SensorRecord& s) {
  s.linearization = r[23] & 0x7F;
  s.m = sign_extend(unsigned(r[24]) | (unsigned(r[25] >> 6) << 8), 10);
  s.b = sign_extend(unsigned(r[26]) | (unsigned(r[27] >> 6) << 8), 10);
  s.r_exp = sign_extend(r[29] >> 4, 4);
  s.b_exp = sign_extend(r[29] & 0x0F, 4);
}

// Compact records carry no conversion factors; their readings are raw
// counts, so they never become a value (format none).
void share(const Bytes& r, const SensorRecord& first, std::vector<SensorRecord>& out) {
  const unsigned count = std::max(1u, unsigned(r[23] & 0x0F));
  const unsigned modifier_type = (r[23] >> 4) & 0x03;
  const unsigned offset = r[24] & 0x7F;
  const bool instance_increments = r[24] & 0x80;
  for (unsigned i = 0; i < count && first.number + i <= 0xFF; ++i) {
    SensorRecord s = first;
    s.number = std::uint8_t(first.number + i);
    if (instance_increments) s.entity_instance = std::uint8_t((first.entity_instance + i) & 0x7F);
    if (count > 1 && modifier_type == 0) s.name += std::to_string(offset + i);
    if (count > 1 && modifier_type == 1) {
      // alpha: 0 = A ... 25 = Z, 26 = BA (base 26, as the spec counts).
      const unsigned n = offset + i;
      s.name += n < 26 ? std::string(1, char('A' + n))
                       : std::string{char('A' + n / 26), char('A' + n % 26)};
    }
    out.push_back(std::move(s));
  }
}

double linearize(std::uint8_t l, double v, bool* ok) {
  *ok = true;
  switch (l) {
    case 0x00:
      return v;
    case 0x01:
      *ok = v > 0;
      return std::log(v);
    case 0x02:
      *ok = v > 0;
      return std::log10(v);
    case 0x03:
      *ok = v > 0;
      return std::log2(v);
    case 0x04:
      return std::exp(v);
    case 0x05:
      return std::pow(10.0, v);
    case 0x06:
      return std::exp2(v);
    case 0x07:
      *ok = v != 0;
      return 1.0 / v;
    case 0x08:
      return v * v;
    case 0x09:
      return v * v * v;
    case 0x0A:
      *ok = v >= 0;
      return std::sqrt(v);
    case 0x0B:
      return std::cbrt(v);
    default:
      *ok = false;
      return 0;
  }
}

}  // namespace

Request get_repository_info() { return {codec::kNetFnStorage, kCmdRepositoryInfo, {}}; }

Result<RepositoryInfo> parse_repository_info(const Response& r) {
  if (r.cc)
    return Result<RepositoryInfo>::failure(
        codec::completion_error("Get SDR Repository Info", r.cc));
  const auto& d = r.data;
  if (d.size() < 14)
    return Result<RepositoryInfo>::failure(
        malformed(fmt::format("Get SDR Repository Info: {} bytes, expected 14", d.size())));
  RepositoryInfo i;
  i.version = d[0];
  i.records = codec::le16(&d[1]);
  i.free_bytes = codec::le16(&d[3]);
  i.last_add = codec::le32(&d[5]);
  i.last_erase = codec::le32(&d[9]);
  i.supports_reserve = d[13] & 0x02;
  return Result<RepositoryInfo>::success(i);
}

Request reserve_repository() { return {codec::kNetFnStorage, kCmdReserve, {}}; }

Result<std::uint16_t> parse_reservation(const Response& r) {
  if (r.cc)
    return Result<std::uint16_t>::failure(codec::completion_error("Reserve SDR Repository", r.cc));
  if (r.data.size() < 2)
    return Result<std::uint16_t>::failure(malformed("Reserve SDR Repository: short answer"));
  return Result<std::uint16_t>::success(codec::le16(r.data.data()));
}

Request get_sdr(std::uint16_t reservation, std::uint16_t record_id, std::uint8_t offset,
                std::uint8_t count) {
  Request q{codec::kNetFnStorage, kCmdGetSdr, {}};
  codec::put16(q.data, reservation);
  codec::put16(q.data, record_id);
  q.data.push_back(offset);
  q.data.push_back(count);
  return q;
}

Result<SdrChunk> parse_sdr(const Response& r) {
  if (r.cc) return Result<SdrChunk>::failure(codec::completion_error("Get SDR", r.cc));
  if (r.data.size() < 2) return Result<SdrChunk>::failure(malformed("Get SDR: short answer"));
  SdrChunk c;
  c.next_record = codec::le16(r.data.data());
  c.data.assign(r.data.begin() + 2, r.data.end());
  return Result<SdrChunk>::success(std::move(c));
}

std::string SensorRecord::id() const {
  return fmt::format("0x{:02x}:{}:{}", owner_id, owner_lun, number);
}

std::string decode_id_string(const std::uint8_t* p, std::size_t size, std::size_t* used) {
  *used = 0;
  if (!size) return {};
  const unsigned type = p[0] >> 6;
  const std::size_t length = std::min<std::size_t>(p[0] & 0x1F, size - 1);
  *used = 1 + length;
  const std::uint8_t* s = p + 1;
  std::string out;
  switch (type) {
    case 0:  // unicode: no standard byte order in SDRs, shown as hex
      for (std::size_t i = 0; i < length; ++i) out += fmt::format("{:02x}", s[i]);
      return out;
    case 1:
      return trim_name(bcd_plus(s, length));
    case 2: {
      // The spec counts bytes here; OpenIPMI's sdrcomp counts characters and
      // its records hold only ceil(6n/8) bytes: read it that way when the
      // record is too short for the byte count.
      const std::size_t declared = p[0] & 0x1F;
      if (declared <= length) return trim_name(six_bit(s, length));
      auto chars = six_bit(s, std::min(length, (declared * 6 + 7) / 8));
      chars.resize(std::min(chars.size(), declared));
      return trim_name(chars);
    }
    default:
      for (std::size_t i = 0; i < length; ++i) out.push_back(s[i] ? printable(s[i]) : '\0');
      return trim_name(out);
  }
}

Decoded decode(const Bytes& r) {
  Decoded d;
  if (r.size() < kHeaderSize) return {{}, "record shorter than its 5-byte header", true};
  const std::uint8_t type = r[3];
  if (type != kTypeFull && type != kTypeCompact)
    return {{}, fmt::format("record type 0x{:02x} is not a sensor record", type), false};
  const std::size_t id_at = type == kTypeFull ? kFullIdOffset : kCompactIdOffset;
  // The length byte must cover the ID string's type/length byte and no more
  // than the bytes read.
  const std::size_t end = std::size_t(r[4]) + kHeaderSize;
  if (end < id_at + 1 || end > r.size())
    return {{},
            fmt::format("record 0x{:04x} (type 0x{:02x}): {} bytes, length byte says {}, at "
                        "least {} needed",
                        codec::le16(&r[0]), type, r.size(), end, id_at + 1),
            true};
  SensorRecord s = common_fields(r);
  std::size_t used = 0;
  s.name = decode_id_string(&r[id_at], end - id_at, &used);
  if (type == kTypeFull) {
    full_fields(r, s);
    d.sensors.push_back(std::move(s));
  } else {
    s.format = AnalogFormat::none;
    share(r, s, d.sensors);
  }
  return d;
}

std::optional<double> convert(const SensorRecord& s, std::uint8_t raw, std::string* why) {
  int x = 0;
  switch (s.format) {
    case AnalogFormat::unsigned_:
      x = raw;
      break;
    case AnalogFormat::ones_complement:
      x = raw & 0x80 ? -int(std::uint8_t(~raw)) : raw;
      break;
    case AnalogFormat::twos_complement:
      x = std::int8_t(raw);
      break;
    case AnalogFormat::none:
      *why = "no analog reading (discrete, or a compact record without conversion factors)";
      return std::nullopt;
  }
  if (s.linearization >= 0x70) {
    *why = fmt::format(
        "OEM non-linear conversion (linearization 0x{:02x}) needs Get Sensor "
        "Reading Factors per reading: not supported",
        s.linearization);
    return std::nullopt;
  }
  if (s.linearization > 0x0B) {
    *why = fmt::format("reserved linearization 0x{:02x}", s.linearization);
    return std::nullopt;
  }
  const double y =
      (double(s.m) * x + double(s.b) * std::pow(10.0, s.b_exp)) * std::pow(10.0, s.r_exp);
  bool ok = true;
  const double v = linearize(s.linearization, y, &ok);
  if (!ok || !std::isfinite(v)) {
    *why = fmt::format("raw 0x{:02x} is outside linearization 0x{:02x}'s domain", raw,
                       s.linearization);
    return std::nullopt;
  }
  return v;
}

Request get_sensor_reading(std::uint8_t number) {
  return {kNetFnSensor, kCmdSensorReading, {number}};
}

Result<Reading> parse_sensor_reading(const Response& r) {
  if (r.cc) return Result<Reading>::failure(codec::completion_error("Get Sensor Reading", r.cc));
  if (r.data.size() < 2)
    return Result<Reading>::failure(malformed("Get Sensor Reading: short answer"));
  Reading g;
  g.raw = r.data[0];
  // Bit 6 clear: scanning disabled; bit 5 set: reading/state unavailable.
  g.available = (r.data[1] & 0x40) && !(r.data[1] & 0x20);
  return Result<Reading>::success(g);
}

std::string entity_name(std::uint8_t id, std::uint8_t instance) {
  static constexpr std::array<const char*, 0x36> kNames = {"unspecified",
                                                           "other",
                                                           "unknown",
                                                           "processor",
                                                           "disk",
                                                           "peripheral_bay",
                                                           "system_management_module",
                                                           "system_board",
                                                           "memory_module",
                                                           "processor_module",
                                                           "power_supply",
                                                           "add_in_card",
                                                           "front_panel_board",
                                                           "back_panel_board",
                                                           "power_system_board",
                                                           "drive_backplane",
                                                           "system_internal_expansion_board",
                                                           "other_system_board",
                                                           "processor_board",
                                                           "power_unit",
                                                           "power_module",
                                                           "power_management",
                                                           "chassis_back_panel_board",
                                                           "system_chassis",
                                                           "sub_chassis",
                                                           "other_chassis_board",
                                                           "disk_drive_bay",
                                                           "peripheral_bay",
                                                           "device_bay",
                                                           "fan",
                                                           "cooling_unit",
                                                           "cable",
                                                           "memory_device",
                                                           "system_management_software",
                                                           "system_firmware",
                                                           "operating_system",
                                                           "system_bus",
                                                           "group",
                                                           "remote_management_device",
                                                           "external_environment",
                                                           "battery",
                                                           "processing_blade",
                                                           "connectivity_switch",
                                                           "processor_memory_module",
                                                           "io_module",
                                                           "processor_io_module",
                                                           "management_controller_firmware",
                                                           "ipmi_channel",
                                                           "pci_bus",
                                                           "pcie_bus",
                                                           "scsi_bus",
                                                           "sata_sas_bus",
                                                           "front_side_bus",
                                                           "real_time_clock"};
  std::string name;
  if (id < kNames.size())
    name = kNames[id];
  else if (id == 0x37 || id == 0x40)
    name = "air_inlet";
  else if (id == 0x41)
    name = "processor";
  else if (id == 0x42)
    name = "baseboard";
  else
    name = fmt::format("entity_0x{:02x}", id);
  return fmt::format("{}.{}", name, instance);
}

std::string unit_name(std::uint8_t u) {
  static constexpr std::array<const char*, 23> kNames = {
      "unspecified", "degrees_c", "degrees_f",    "degrees_k",    "volts",  "amps",
      "watts",       "joules",    "coulombs",     "va",           "nits",   "lumen",
      "lux",         "candela",   "kpa",          "psi",          "newton", "cfm",
      "rpm",         "hz",        "microseconds", "milliseconds", "seconds"};
  return u < kNames.size() ? kNames[u] : fmt::format("unit_{}", u);
}

}  // namespace bmcquiet::ipmi::sdr
