// Sensor Data Records (IPMI 2.0 §33, §43) and sensor readings (§35.14, §36):
// the requests, and the decoding of Full (type 01h) and Compact (02h) sensor
// records into what a reading needs to become a value with a unit.
//
// Pure functions, no I/O: the repository reader (sdr_reader.hpp) carries the
// bytes, the unit tests and the fuzz harness feed these directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ipmi/types.hpp"

namespace bmcquiet::ipmi::sdr {

inline constexpr std::uint8_t kNetFnSensor = 0x04;
inline constexpr std::uint8_t kHeaderSize = 5;        // record id, version, type, length
inline constexpr std::uint8_t kReadWhole = 0xFF;      // Get SDR "bytes to read": entire record
inline constexpr std::uint16_t kLastRecord = 0xFFFF;  // as "next record id": no more
inline constexpr std::uint8_t kBmcAddress = 0x20;     // the BMC's own IPMB slave address

// Get SDR Repository Info (§33.9).
struct RepositoryInfo {
  std::uint8_t version = 0;
  std::uint16_t records = 0;
  std::uint16_t free_bytes = 0;
  std::uint32_t last_add = 0;  // BMC clock; 0xFFFFFFFF or 0: never / unspecified
  std::uint32_t last_erase = 0;
  bool supports_reserve = false;
  // What says the repository changed since it was last read.
  bool same_contents(const RepositoryInfo& o) const {
    return records == o.records && last_add == o.last_add && last_erase == o.last_erase;
  }
};

Request get_repository_info();
Result<RepositoryInfo> parse_repository_info(const Response& r);
Request reserve_repository();
Result<std::uint16_t> parse_reservation(const Response& r);
Request get_sdr(std::uint16_t reservation, std::uint16_t record_id, std::uint8_t offset,
                std::uint8_t count);
struct SdrChunk {
  std::uint16_t next_record = kLastRecord;
  Bytes data;
};
Result<SdrChunk> parse_sdr(const Response& r);

// Analog data format of a reading (§43.1 byte 21 bits 7:6).
enum class AnalogFormat : std::uint8_t {
  unsigned_ = 0,
  ones_complement = 1,
  twos_complement = 2,
  none = 3
};

// One sensor as its SDR describes it.
struct SensorRecord {
  std::uint16_t record_id = 0;
  std::uint8_t record_type = 0;  // 0x01 full, 0x02 compact
  std::uint8_t owner_id = 0;     // IPMB slave address (bit 0 clear) or software id
  std::uint8_t owner_lun = 0;
  std::uint8_t number = 0;
  std::uint8_t entity_id = 0, entity_instance = 0;
  std::uint8_t sensor_type = 0;   // §42.2: 01h temperature, 02h voltage, 04h fan...
  std::uint8_t reading_type = 0;  // event/reading type code: 01h threshold
  std::string name;               // the ID string, decoded
  bool percentage = false;
  std::uint8_t rate_unit = 0, modifier_use = 0;  // 0: none, 1: base/mod, 2: base*mod
  std::uint8_t base_unit = 0, modifier_unit = 0;
  AnalogFormat format = AnalogFormat::none;
  std::uint8_t linearization = 0;
  int m = 1, b = 0, r_exp = 0, b_exp = 0;  // y = L[(M x + B 10^Bexp) 10^Rexp]

  bool threshold() const { return reading_type == 0x01; }
  // "0x20:0:3": owner, LUN, number; unique within one BMC.
  std::string id() const;
};

// The sensors a record describes (a Compact record may share itself among
// several: §43.2 "share count"), or why it describes none (another record
// type is not an error: `error` stays false).
struct Decoded {
  std::vector<SensorRecord> sensors;
  std::string why;
  bool error = false;  // malformed: too short, lengths that disagree
};
// `record` is the whole record, header included.
Decoded decode(const Bytes& record);

// The ID string (§43.15 type/length byte): 8-bit ASCII/Latin-1, 6-bit packed
// ASCII, BCD plus, or unicode (shown as hex). Control bytes become '?'.
std::string decode_id_string(const std::uint8_t* p, std::size_t size, std::size_t* used);

// The value a raw reading stands for, in the record's unit; nullopt with why
// when it has none (no analog reading, OEM non-linear, outside the function's
// domain).
std::optional<double> convert(const SensorRecord& s, std::uint8_t raw, std::string* why);

// Get Sensor Reading (§35.14).
Request get_sensor_reading(std::uint8_t number);
struct Reading {
  std::uint8_t raw = 0;
  bool available = false;  // scanning enabled and "reading unavailable" clear
};
Result<Reading> parse_sensor_reading(const Response& r);

// Names for labels: "system_board.1", "degrees_c", "rpm".
std::string entity_name(std::uint8_t entity_id, std::uint8_t instance);
std::string unit_name(std::uint8_t base_unit);

// Base unit codes (§43.17) the collector maps onto metrics.
inline constexpr std::uint8_t kUnitCelsius = 1, kUnitFahrenheit = 2, kUnitKelvin = 3,
                              kUnitVolts = 4, kUnitAmps = 5, kUnitWatts = 6, kUnitRpm = 18;
inline constexpr std::uint8_t kTypeTemperature = 0x01, kTypeVoltage = 0x02, kTypeCurrent = 0x03,
                              kTypeFan = 0x04;

}  // namespace bmcquiet::ipmi::sdr
