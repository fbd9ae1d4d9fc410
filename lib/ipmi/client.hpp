// bmcquiet::ipmi::Client: one BMC, reached in-band (/dev/ipmi0) or over the
// network (IPMI 2.0 lanplus), shared by every collector and the policy engine
// through the BMC's owner (bmc/bmc.hpp), which builds and closes it.
//
// Every call is asynchronous: it returns at once and its callback runs later
// on the io_context the client was built with, exactly once. Requests to one
// BMC are single-flight (queued, one on the wire at a time, in call order),
// each with its own timeout and retries, so callers may fire several at once
// and need no locking. Nothing here blocks the loop.
//
// A completion code is an error (Status::completion_code, Error::cc set)
// except where a command documents it as a state (Get Power Limit's 0x80).
//
// Archiving then clearing the SEL without losing an entry:
//   reserve_sel → get_sel_entries(reservation) → archive → clear_sel(reservation).
// If anything erased or re-reserved the SEL in between, clear_sel fails with
// cc 0xC5 (kCcInvalidReservation) and nothing is cleared: reserve and read again.
// Entries added after the read do not cancel a reservation (IPMI 2.0 §31.4), so
// compare get_sel_info().entries with what was archived before clearing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/paths.hpp"
#include "ipmi/types.hpp"

namespace boost::asio {
class io_context;
}

namespace bmcquiet {
class Metrics;
}

namespace bmcquiet::ipmi {

template <class T>
using Callback = std::function<void(Result<T>)>;

enum class TransportKind { lanplus, inband };

// Privilege levels as the IPMI specification numbers them.
enum class Privilege : std::uint8_t { callback = 1, user = 2, operator_ = 3, admin = 4 };

struct ClientConfig {
  TransportKind transport = TransportKind::lanplus;
  // lanplus
  std::string host;  // name or address of the BMC
  std::uint16_t port = 623;
  std::string username;
  std::string password_credential = "bmcquiet.ipmi-password";  // systemd credential name
  std::string password_file;                                   // or a private file
  Privilege privilege = Privilege::admin;         // asked for in Open Session and then set
  int cipher_suite = 17;                          // 3 (SHA1) or 17 (SHA256), both AES-CBC-128
  std::chrono::milliseconds session_idle{30000};  // close an idle session after this
  // inband
  std::string device = "/dev/ipmi0";
  Paths paths;             // devfs for the SMI-count source
  bool count_smis = true;  // bracket each in-band request with SMI-count reads
  // both
  int sol_channel = -1;                     // -1: 0x0E "this channel" on lanplus, 1 in-band
  std::chrono::milliseconds timeout{2000};  // per attempt
  int retries = 2;                          // extra attempts after the first
};

struct ClientStats {
  std::uint64_t requests = 0;         // requests answered or failed
  std::uint64_t sessions_opened = 0;  // lanplus sessions established
  std::uint64_t timeouts = 0;         // attempts that timed out
};

// What the last request learned about the BMC (a completion code is an answer).
struct LastContact {
  bool answered = false;
  std::string error;                           // why not, "" when answered
  std::chrono::steady_clock::time_point at{};  // epoch: nothing sent yet
};

class Client {
 public:
  struct Impl;
  // Builds the client without touching the network or the device (both are
  // opened on the first request). metrics may be null (tests, tools).
  static std::shared_ptr<Client> create(boost::asio::io_context& io, ClientConfig config,
                                        Metrics* metrics);
  explicit Client(std::shared_ptr<Impl> impl);
  ~Client();  // closes: pending callbacks run with Status::closed
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const char* transport_name() const;  // "lanplus" or "inband", the metrics label
  std::string endpoint() const;        // "host:port" or the device path
  ClientStats stats() const;
  LastContact last_contact() const;

  // IPMI Get Device ID; manufacturer_id picks a vendor profile.
  void get_device_id(Callback<DeviceId> done);

  // DCMI power management.
  void dcmi_get_capabilities(Callback<DcmiCapabilities> done);
  void dcmi_get_power_reading(Callback<PowerReading> done);
  void dcmi_get_power_limit(Callback<PowerLimitState> done);
  void dcmi_set_power_limit(const DcmiPowerLimit& limit, Callback<Done> done);
  void dcmi_activate_power_limit(bool activate, Callback<Done> done);

  // Watchdog timer.
  void get_watchdog(Callback<WatchdogState> done);
  void set_watchdog(const WatchdogSettings& settings, Callback<Done> done);
  void reset_watchdog(Callback<Done> done);

  // Serial-over-LAN configuration parameter 1 ("SOL Enable") on the channel
  // the client talks through (0x0E = "this channel").
  void get_sol_enabled(Callback<bool> done);
  void set_sol_enabled(bool enabled, Callback<Done> done);

  // System Event Log.
  void get_sel_info(Callback<SelInfo> done);
  void reserve_sel(Callback<std::uint16_t> done);
  // Every entry, first to last, each read with this reservation.
  void get_sel_entries(std::uint16_t reservation, Callback<std::vector<SelEntry>> done);
  // Initiates the erase and polls until the BMC reports it complete.
  void clear_sel(std::uint16_t reservation, Callback<SelClearStatus> done);

  // Any other command (the caller decodes); a non-zero cc is not an error here.
  void raw(Request request, Callback<Response> done);

  // Closes the session/device; queued callbacks get Status::closed. The next
  // request opens again.
  void close();

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace bmcquiet::ipmi
