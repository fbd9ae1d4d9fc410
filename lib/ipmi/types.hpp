// Decoded IPMI 2.0 / DCMI 1.5 command data and the outcome of a request.
//
// Plain structs with no transport or Asio in sight: the codec (codec.hpp)
// turns them into bytes and back, the Client (client.hpp) hands them to
// callbacks. Field names follow the specification tables they come from.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bmcquiet::ipmi {

using Bytes = std::vector<std::uint8_t>;

// Why a request did not produce a decoded answer.
enum class Status {
  ok,
  completion_code,  // the BMC answered with a non-zero completion code (see cc)
  timeout,          // no answer after every retry
  transport,        // socket, device, session or authentication failure
  malformed,        // the answer was too short or inconsistent
  closed,           // the client was closed before the answer came
};
const char* to_string(Status status);

struct Error {
  Status status = Status::ok;
  std::uint8_t cc = 0;  // completion code, when status == completion_code
  std::string message;  // what, where, what to do; never a secret
};

template <class T>
struct Result {
  std::optional<T> value;
  Error error;

  bool ok() const { return value.has_value(); }
  static Result success(T v) { return Result{std::move(v), {}}; }
  static Result failure(Error e) { return Result{std::nullopt, std::move(e)}; }
};

struct Done {};  // commands whose answer carries nothing but success

// One raw request and its answer (netfn is the request netfn, even).
struct Request {
  std::uint8_t netfn = 0;
  std::uint8_t cmd = 0;
  Bytes data;
};
struct Response {
  std::uint8_t cc = 0;
  Bytes data;  // after the completion code
};

// Completion codes the callers act on (IPMI 2.0 table 5-2, DCMI 1.5 table 6-x).
inline constexpr std::uint8_t kCcOk = 0x00;
inline constexpr std::uint8_t kCcInvalidCommand = 0xC1;
inline constexpr std::uint8_t kCcInvalidReservation = 0xC5;
inline constexpr std::uint8_t kCcParamOutOfRange = 0xC9;
inline constexpr std::uint8_t kCcInvalidDataField = 0xCC;
inline constexpr std::uint8_t kCcDcmiNoActiveLimit = 0x80;
inline constexpr std::uint8_t kCcDcmiLimitOutOfRange = 0x84;
inline constexpr std::uint8_t kCcDcmiCorrectionTimeOutOfRange = 0x85;
inline constexpr std::uint8_t kCcDcmiSamplingPeriodOutOfRange = 0x89;
// Human name of a completion code, e.g. "0xC5 reservation cancelled or invalid".
std::string describe_cc(std::uint8_t cc);

// Get Device ID (IPMI 2.0 §20.1).
struct DeviceId {
  std::uint8_t device_id = 0;
  std::uint8_t device_revision = 0;
  bool available = true;  // false while the BMC runs a firmware update
  std::uint8_t firmware_major = 0;
  std::uint8_t firmware_minor = 0;  // BCD encoded
  std::uint8_t ipmi_version = 0;    // BCD, 0x02 = 2.0
  std::uint8_t additional_support = 0;
  std::uint32_t manufacturer_id = 0;  // IANA enterprise number, 20 bits
  std::uint16_t product_id = 0;
  std::optional<std::uint32_t> aux_firmware;
};

// DCMI Get Capabilities Info, parameter 1 "supported DCMI capabilities".
struct DcmiCapabilities {
  std::uint8_t major = 0, minor = 0, parameter_revision = 0;
  bool identification = false, sel_logging = false, chassis_power = false,
       temperature_monitor = false;  // mandatory platform capabilities
  bool power_management = false;     // optional: power reading / limiting
  bool inband_kcs = false, oob_serial = false, oob_secondary_lan = false, oob_primary_lan = false,
       sol = false, vlan = false;  // manageability access
};

// DCMI Get Power Reading, mode 1 "system power statistics".
struct PowerReading {
  std::uint16_t current_watts = 0, minimum_watts = 0, maximum_watts = 0, average_watts = 0;
  std::uint32_t timestamp = 0;  // BMC clock, seconds since 1970
  std::uint32_t statistics_period_ms = 0;
  bool active = false;  // "power measurement active"; false → the values are meaningless
};

// DCMI exception actions (DCMI 1.5 table 6-18).
enum class ExceptionAction : std::uint8_t {
  none = 0x00,
  power_off_and_log = 0x01,
  log_only = 0x11,
};
std::string describe_exception_action(std::uint8_t action);  // "log_only", "oem_0x05"...

struct DcmiPowerLimit {
  std::uint8_t exception_action = 0;  // ExceptionAction or OEM 0x02-0x10
  std::uint16_t limit_watts = 0;
  std::uint32_t correction_time_ms = 0;
  std::uint16_t sampling_period_s = 0;
};

// Get Power Limit. Completion code 0x80 ("no active set power limit") is a
// state, not a failure: active == false and limit holds whatever the BMC
// returned alongside it (a configured but inactive limit), if anything.
struct PowerLimitState {
  bool active = false;
  std::optional<DcmiPowerLimit> limit;
};

// Watchdog timer (IPMI 2.0 §27.5-27.7).
enum class TimerUse : std::uint8_t {
  bios_frb2 = 1,
  bios_post = 2,
  os_load = 3,
  sms_os = 4,
  oem = 5,
};
enum class TimeoutAction : std::uint8_t {
  none = 0,
  hard_reset = 1,
  power_down = 2,
  power_cycle = 3,
};
struct WatchdogSettings {
  std::uint8_t timer_use = 4;  // TimerUse in bits 2:0
  bool dont_log = false;
  bool dont_stop = false;                 // Set only: keep a running timer running
  std::uint8_t timeout_action = 0;        // TimeoutAction in bits 2:0
  std::uint8_t pretimeout_interrupt = 0;  // bits 6:4 of the action byte
  std::uint8_t pretimeout_seconds = 0;
  std::uint8_t expiration_flags_clear = 0;  // Set: bits to clear; bits 5:1 by use
  std::uint16_t initial_countdown_100ms = 0;
};
struct WatchdogState {
  std::uint8_t timer_use = 0;
  bool dont_log = false;
  bool running = false;
  std::uint8_t timeout_action = 0;
  std::uint8_t pretimeout_interrupt = 0;
  std::uint8_t pretimeout_seconds = 0;
  std::uint8_t expiration_flags = 0;
  std::uint16_t initial_countdown_100ms = 0;
  std::uint16_t present_countdown_100ms = 0;
};

// SEL (IPMI 2.0 §31).
struct SelInfo {
  std::uint8_t version = 0;  // 0x51 = IPMI 1.5/2.0
  std::uint16_t entries = 0;
  std::uint16_t free_bytes = 0;
  std::optional<std::uint32_t> last_add_time;    // absent: 0xFFFFFFFF "unspecified"
  std::optional<std::uint32_t> last_erase_time;  // absent: 0xFFFFFFFF
  bool overflow = false;
  bool supports_delete = false, supports_partial_add = false, supports_reserve = false,
       supports_alloc_info = false;
  // Get SEL Info has no capacity field: what is stored plus what still fits,
  // at 16 bytes a record (IPMI 2.0 §31).
  std::uint32_t capacity_entries() const { return entries + free_bytes / 16u; }
};
struct SelEntry {
  std::uint16_t record_id = 0;
  std::uint8_t record_type = 0;
  std::array<std::uint8_t, 16> raw{};  // the whole 16-byte record as stored
};
struct SelClearStatus {
  bool complete = false;  // erasure completed (vs in progress)
};

}  // namespace bmcquiet::ipmi
