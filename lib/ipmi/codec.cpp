#include "ipmi/codec.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace bmcquiet::ipmi {

const char* to_string(Status status) {
  switch (status) {
    case Status::ok:
      return "ok";
    case Status::completion_code:
      return "completion_code";
    case Status::timeout:
      return "timeout";
    case Status::transport:
      return "transport";
    case Status::malformed:
      return "malformed";
    case Status::closed:
      return "closed";
  }
  return "unknown";
}

std::string describe_cc(std::uint8_t cc) {
  const char* text = nullptr;
  switch (cc) {
    case 0x00:
      text = "success";
      break;
    case 0x80:
      text = "command-specific (DCMI: no active power limit)";
      break;
    case 0x84:
      text = "command-specific (DCMI: power limit out of range)";
      break;
    case 0x85:
      text = "command-specific (DCMI: correction time out of range)";
      break;
    case 0x89:
      text = "command-specific (DCMI: sampling period out of range)";
      break;
    case 0xC0:
      text = "node busy";
      break;
    case 0xC1:
      text = "invalid or unsupported command";
      break;
    case 0xC3:
      text = "timeout while processing";
      break;
    case 0xC4:
      text = "out of space";
      break;
    case 0xC5:
      text = "reservation cancelled or invalid";
      break;
    case 0xC7:
      text = "request data length invalid";
      break;
    case 0xC9:
      text = "parameter out of range";
      break;
    case 0xCB:
      text = "requested data not present";
      break;
    case 0xCC:
      text = "invalid data field in request";
      break;
    case 0xD4:
      text = "insufficient privilege level";
      break;
    case 0xD5:
      text = "not supported in present state";
      break;
    case 0xD6:
      text = "parameter is illegal or unavailable";
      break;
    default:
      text = cc >= 0x80 && cc <= 0xBE ? "command-specific" : "unspecified";
  }
  return fmt::format("0x{:02X} {}", cc, text);
}

std::string describe_exception_action(std::uint8_t action) {
  switch (action) {
    case 0x00:
      return "none";
    case 0x01:
      return "power_off_and_log";
    case 0x11:
      return "log_only";
    default:
      return fmt::format("oem_0x{:02x}", action);
  }
}

namespace codec {
namespace {

Error malformed(const char* command, std::size_t got, std::size_t want) {
  return {Status::malformed, 0,
          fmt::format("{}: answer has {} data bytes, expected at least {}; the BMC does not "
                      "follow the IPMI/DCMI specification here",
                      command, got, want)};
}

// Checks cc and length; nullopt when the answer is usable.
std::optional<Error> check(const Response& r, const char* command, std::size_t min_len) {
  if (r.cc != kCcOk) return completion_error(command, r.cc);
  if (r.data.size() < min_len) return malformed(command, r.data.size(), min_len);
  return std::nullopt;
}

std::optional<Error> check_dcmi(const Response& r, const char* command, std::size_t min_len) {
  if (auto e = check(r, command, std::max<std::size_t>(min_len, 1))) return e;
  if (r.data[0] != kDcmiGroup)
    return Error{
        Status::malformed, 0,
        fmt::format("{}: group extension 0x{:02X} is not DCMI (0xDC)", command, r.data[0])};
  return std::nullopt;
}

Request dcmi(std::uint8_t cmd, Bytes data) {
  data.insert(data.begin(), kDcmiGroup);
  return {kNetFnGroupExt, cmd, std::move(data)};
}

bool bit(std::uint8_t byte, int n) { return (byte >> n) & 1; }

std::optional<std::uint32_t> timestamp(const std::uint8_t* p) {
  auto t = le32(p);
  if (t == 0xFFFFFFFF) return std::nullopt;
  return t;
}

DcmiPowerLimit decode_limit(const std::uint8_t* d) {
  // d points at the group byte: reserved(2), action, limit(2), correction(4),
  // reserved(2), sampling period(2).
  DcmiPowerLimit l;
  l.exception_action = d[3];
  l.limit_watts = le16(d + 4);
  l.correction_time_ms = le32(d + 6);
  l.sampling_period_s = le16(d + 12);
  return l;
}

}  // namespace

Error completion_error(const char* command, std::uint8_t cc) {
  return {Status::completion_code, cc,
          fmt::format("{}: BMC answered completion code {}", command, describe_cc(cc))};
}

Result<Done> parse_empty(const Response& r) {
  if (r.cc != kCcOk) return Result<Done>::failure(completion_error("command", r.cc));
  return Result<Done>::success({});
}

Request get_device_id() { return {kNetFnApp, 0x01, {}}; }

Result<DeviceId> parse_device_id(const Response& r) {
  if (auto e = check(r, "Get Device ID", 11)) return Result<DeviceId>::failure(*e);
  const auto* d = r.data.data();
  DeviceId id;
  id.device_id = d[0];
  id.device_revision = d[1] & 0x0F;
  id.available = !bit(d[2], 7);
  id.firmware_major = d[2] & 0x7F;
  id.firmware_minor = d[3];
  id.ipmi_version = d[4];
  id.additional_support = d[5];
  id.manufacturer_id = (d[6] | (d[7] << 8) | (d[8] << 16)) & 0x0FFFFF;
  id.product_id = le16(d + 9);
  if (r.data.size() >= 15) id.aux_firmware = le32(d + 11);
  return Result<DeviceId>::success(id);
}

Request dcmi_get_capabilities() { return dcmi(0x01, {0x01}); }

Result<DcmiCapabilities> parse_dcmi_capabilities(const Response& r) {
  // group, major, minor, parameter revision, then parameter 1's 4 bytes.
  if (auto e = check_dcmi(r, "DCMI Get Capabilities", 8))
    return Result<DcmiCapabilities>::failure(*e);
  const auto* d = r.data.data();
  DcmiCapabilities c;
  c.major = d[1];
  c.minor = d[2];
  c.parameter_revision = d[3];
  c.identification = bit(d[5], 0);
  c.sel_logging = bit(d[5], 1);
  c.chassis_power = bit(d[5], 2);
  c.temperature_monitor = bit(d[5], 3);
  c.power_management = bit(d[6], 0);
  c.inband_kcs = bit(d[7], 0);
  c.oob_serial = bit(d[7], 1);
  c.oob_secondary_lan = bit(d[7], 2);
  c.oob_primary_lan = bit(d[7], 3);
  c.sol = bit(d[7], 4);
  c.vlan = bit(d[7], 5);
  return Result<DcmiCapabilities>::success(c);
}

Request dcmi_get_power_reading() { return dcmi(0x02, {0x01, 0x00, 0x00}); }

Result<PowerReading> parse_power_reading(const Response& r) {
  if (auto e = check_dcmi(r, "DCMI Get Power Reading", 18))
    return Result<PowerReading>::failure(*e);
  const auto* d = r.data.data();
  PowerReading p;
  p.current_watts = le16(d + 1);
  p.minimum_watts = le16(d + 3);
  p.maximum_watts = le16(d + 5);
  p.average_watts = le16(d + 7);
  p.timestamp = le32(d + 9);
  p.statistics_period_ms = le32(d + 13);
  p.active = bit(d[17], 6);
  return Result<PowerReading>::success(p);
}

Request dcmi_get_power_limit() { return dcmi(0x03, {0x00, 0x00}); }

Result<PowerLimitState> parse_power_limit(const Response& r) {
  constexpr std::size_t kLen = 14;  // group, reserved x2, action, limit, correction, x2, period
  if (r.cc == kCcDcmiNoActiveLimit) {
    // A state: the BMC may still report the configured (inactive) limit.
    PowerLimitState s;
    if (r.data.size() >= kLen && r.data[0] == kDcmiGroup) s.limit = decode_limit(r.data.data());
    return Result<PowerLimitState>::success(s);
  }
  if (auto e = check_dcmi(r, "DCMI Get Power Limit", kLen))
    return Result<PowerLimitState>::failure(*e);
  return Result<PowerLimitState>::success({true, decode_limit(r.data.data())});
}

Request dcmi_set_power_limit(const DcmiPowerLimit& l) {
  Bytes b{0x00, 0x00, 0x00, l.exception_action};
  put16(b, l.limit_watts);
  put32(b, l.correction_time_ms);
  b.push_back(0x00);
  b.push_back(0x00);
  put16(b, l.sampling_period_s);
  return dcmi(0x04, std::move(b));
}

Request dcmi_activate_power_limit(bool activate) {
  return dcmi(0x05, {std::uint8_t(activate ? 0x01 : 0x00), 0x00, 0x00});
}

Result<Done> parse_dcmi_ack(const Response& r) {
  if (auto e = check_dcmi(r, "DCMI power limit command", 1)) return Result<Done>::failure(*e);
  return Result<Done>::success({});
}

Request get_watchdog() { return {kNetFnApp, 0x25, {}}; }

Result<WatchdogState> parse_watchdog(const Response& r) {
  if (auto e = check(r, "Get Watchdog Timer", 8)) return Result<WatchdogState>::failure(*e);
  const auto* d = r.data.data();
  WatchdogState w;
  w.timer_use = d[0] & 0x07;
  w.dont_log = bit(d[0], 7);
  w.running = bit(d[0], 6);
  w.timeout_action = d[1] & 0x07;
  w.pretimeout_interrupt = (d[1] >> 4) & 0x07;
  w.pretimeout_seconds = d[2];
  w.expiration_flags = d[3];
  w.initial_countdown_100ms = le16(d + 4);
  w.present_countdown_100ms = le16(d + 6);
  return Result<WatchdogState>::success(w);
}

Request set_watchdog(const WatchdogSettings& s) {
  Bytes b;
  b.push_back(
      std::uint8_t((s.timer_use & 0x07) | (s.dont_log ? 0x80 : 0) | (s.dont_stop ? 0x40 : 0)));
  b.push_back(std::uint8_t((s.timeout_action & 0x07) | ((s.pretimeout_interrupt & 0x07) << 4)));
  b.push_back(s.pretimeout_seconds);
  b.push_back(s.expiration_flags_clear);
  put16(b, s.initial_countdown_100ms);
  return {kNetFnApp, 0x24, std::move(b)};
}

Request reset_watchdog() { return {kNetFnApp, 0x22, {}}; }

Request get_sol_enabled(std::uint8_t channel) {
  return {kNetFnTransport, 0x22, {std::uint8_t(channel & 0x0F), 0x01, 0x00, 0x00}};
}

Result<bool> parse_sol_enabled(const Response& r) {
  // parameter revision, then parameter 1's one byte.
  if (auto e = check(r, "Get SOL Configuration (SOL Enable)", 2)) return Result<bool>::failure(*e);
  return Result<bool>::success(bit(r.data[1], 0));
}

Request set_sol_enabled(std::uint8_t channel, bool enabled) {
  return {kNetFnTransport,
          0x21,
          {std::uint8_t(channel & 0x0F), 0x01, std::uint8_t(enabled ? 0x01 : 0x00)}};
}

Request get_sel_info() { return {kNetFnStorage, 0x40, {}}; }

Result<SelInfo> parse_sel_info(const Response& r) {
  if (auto e = check(r, "Get SEL Info", 14)) return Result<SelInfo>::failure(*e);
  const auto* d = r.data.data();
  SelInfo s;
  s.version = d[0];
  s.entries = le16(d + 1);
  s.free_bytes = le16(d + 3);
  s.last_add_time = timestamp(d + 5);
  s.last_erase_time = timestamp(d + 9);
  s.overflow = bit(d[13], 7);
  s.supports_delete = bit(d[13], 3);
  s.supports_partial_add = bit(d[13], 2);
  s.supports_reserve = bit(d[13], 1);
  s.supports_alloc_info = bit(d[13], 0);
  return Result<SelInfo>::success(s);
}

Request reserve_sel() { return {kNetFnStorage, 0x42, {}}; }

Result<std::uint16_t> parse_sel_reservation(const Response& r) {
  if (auto e = check(r, "Reserve SEL", 2)) return Result<std::uint16_t>::failure(*e);
  return Result<std::uint16_t>::success(le16(r.data.data()));
}

Request get_sel_entry(std::uint16_t reservation, std::uint16_t record_id) {
  Bytes b;
  put16(b, reservation);
  put16(b, record_id);
  b.push_back(0x00);  // offset into the record
  b.push_back(0xFF);  // read the entire record
  return {kNetFnStorage, 0x43, std::move(b)};
}

Result<std::pair<SelEntry, std::uint16_t>> parse_sel_entry(const Response& r) {
  using R = Result<std::pair<SelEntry, std::uint16_t>>;
  if (auto e = check(r, "Get SEL Entry", 18)) return R::failure(*e);
  SelEntry e;
  std::copy_n(r.data.begin() + 2, 16, e.raw.begin());
  e.record_id = le16(e.raw.data());
  e.record_type = e.raw[2];
  return R::success({e, le16(r.data.data())});
}

Request clear_sel(std::uint16_t reservation, bool initiate) {
  Bytes b;
  put16(b, reservation);
  b.insert(b.end(), {'C', 'L', 'R', std::uint8_t(initiate ? 0xAA : 0x00)});
  return {kNetFnStorage, 0x47, std::move(b)};
}

Result<SelClearStatus> parse_clear_sel(const Response& r) {
  if (auto e = check(r, "Clear SEL", 1)) return Result<SelClearStatus>::failure(*e);
  return Result<SelClearStatus>::success({(r.data[0] & 0x0F) == 0x01});
}

}  // namespace codec
}  // namespace bmcquiet::ipmi
