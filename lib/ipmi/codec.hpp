// IPMI 2.0 / DCMI 1.5 message codec: requests to bytes, answers to structs.
//
// Pure functions, no I/O: every transport (in-band driver, lanplus) carries
// the same Request/Response, and the unit tests check these against byte
// layouts from the specification tables.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "ipmi/types.hpp"

namespace bmcquiet::ipmi::codec {

// Network functions (requests; the answer's netfn is one more).
inline constexpr std::uint8_t kNetFnChassis = 0x00;
inline constexpr std::uint8_t kNetFnApp = 0x06;
inline constexpr std::uint8_t kNetFnStorage = 0x0A;
inline constexpr std::uint8_t kNetFnTransport = 0x0C;
inline constexpr std::uint8_t kNetFnGroupExt = 0x2C;
inline constexpr std::uint8_t kDcmiGroup = 0xDC;  // first data byte of every DCMI message

// Channel number meaning "the channel this request came in on".
inline constexpr std::uint8_t kThisChannel = 0x0E;

Request get_device_id();
Result<DeviceId> parse_device_id(const Response& r);

Request dcmi_get_capabilities();  // parameter 1
Result<DcmiCapabilities> parse_dcmi_capabilities(const Response& r);
Request dcmi_get_power_reading();  // mode 1, system power statistics
Result<PowerReading> parse_power_reading(const Response& r);
Request dcmi_get_power_limit();
Result<PowerLimitState> parse_power_limit(const Response& r);
Request dcmi_set_power_limit(const DcmiPowerLimit& limit);
Request dcmi_activate_power_limit(bool activate);
// The answer of Set Power Limit and Activate: just the DCMI group byte.
Result<Done> parse_dcmi_ack(const Response& r);

Request get_watchdog();
Result<WatchdogState> parse_watchdog(const Response& r);
Request set_watchdog(const WatchdogSettings& s);
Request reset_watchdog();

Request get_sol_enabled(std::uint8_t channel);
Result<bool> parse_sol_enabled(const Response& r);
Request set_sol_enabled(std::uint8_t channel, bool enabled);

Request get_sel_info();
Result<SelInfo> parse_sel_info(const Response& r);
Request reserve_sel();
Result<std::uint16_t> parse_sel_reservation(const Response& r);
inline constexpr std::uint16_t kSelFirst = 0x0000;
inline constexpr std::uint16_t kSelLast = 0xFFFF;  // as "next record": no more entries
Request get_sel_entry(std::uint16_t reservation, std::uint16_t record_id);
// The entry and the id of the next one.
Result<std::pair<SelEntry, std::uint16_t>> parse_sel_entry(const Response& r);
Request clear_sel(std::uint16_t reservation, bool initiate);  // false: get status
Result<SelClearStatus> parse_clear_sel(const Response& r);

// For commands whose answer is only a completion code.
Result<Done> parse_empty(const Response& r);

// A failure carrying a non-zero completion code, with the command named.
Error completion_error(const char* command, std::uint8_t cc);

// Little-endian helpers shared by the codec and the transports.
inline std::uint16_t le16(const std::uint8_t* p) { return std::uint16_t(p[0] | (p[1] << 8)); }
inline std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16) |
         (std::uint32_t(p[3]) << 24);
}
inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(std::uint8_t(v));
  b.push_back(std::uint8_t(v >> 8));
}
inline void put32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(std::uint8_t(v >> (8 * i)));
}

}  // namespace bmcquiet::ipmi::codec
