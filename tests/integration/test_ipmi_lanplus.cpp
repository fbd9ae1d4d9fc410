// bmcquiet::ipmi::Client over lanplus against OpenIPMI's ipmi_sim with the
// DCMI/watchdog module: every command, error completion codes, a stale SEL
// reservation, a BMC that stops answering, and cross-checks with ipmitool and
// FreeIPMI against the same simulator.
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>

#include <algorithm>

#include <catch2/catch.hpp>

#include "ipmi/client.hpp"
#include "metrics/metrics.hpp"
#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"

using namespace bmcquiet;
using namespace bmcquiet::ipmi;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

// Runs the loop until the callback of `start` fires.
template <class T, class Start>
Result<T> await(boost::asio::io_context& io, Start start) {
  std::optional<Result<T>> out;
  start([&](Result<T> r) { out = std::move(r); });
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!out && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
  REQUIRE(out);
  return std::move(*out);
}

#define AWAIT(T, call) await<T>(io, [&](Callback<T> cb) { client->call; })

bool skip_without_sim() {
  if (auto why = IpmiSim::unavailable(); !why.empty()) {
    WARN("SKIPPED: " << why);
    return true;
  }
  return false;
}

}  // namespace

TEST_CASE("lanplus client: device id, DCMI power limit lifecycle and its error codes",
          "[ipmi][ipmi_sim]") {
  if (skip_without_sim()) return;
  IpmiSim sim;
  REQUIRE(sim.start());
  boost::asio::io_context io;
  Metrics metrics;
  auto client = Client::create(io, sim.client_config(), &metrics);

  auto id = AWAIT(DeviceId, get_device_id(cb));
  INFO(id.error.message << "\n" << sim.log());
  REQUIRE(id.ok());
  CHECK(id.value->manufacturer_id == 0x1291);
  CHECK(id.value->product_id == 0x0F02);
  CHECK(id.value->ipmi_version == 0x02);

  auto caps = AWAIT(DcmiCapabilities, dcmi_get_capabilities(cb));
  REQUIRE(caps.ok());
  CHECK(caps.value->power_management);
  CHECK(caps.value->major == 1);
  CHECK(caps.value->minor == 5);

  auto reading = AWAIT(PowerReading, dcmi_get_power_reading(cb));
  REQUIRE(reading.ok());
  CHECK(reading.value->current_watts == 250);
  CHECK(reading.value->active);

  auto limit = AWAIT(PowerLimitState, dcmi_get_power_limit(cb));
  REQUIRE(limit.ok());  // 0x80 "no active limit" is a state
  CHECK_FALSE(limit.value->active);

  DcmiPowerLimit bad{0x01, 50, 5000, 10};
  auto rejected = AWAIT(Done, dcmi_set_power_limit(bad, cb));
  CHECK(rejected.error.status == Status::completion_code);
  CHECK(rejected.error.cc == kCcDcmiLimitOutOfRange);
  CHECK(rejected.error.message.find("127.0.0.1") != std::string::npos);
  bad = {0x01, 400, 10, 10};
  CHECK(AWAIT(Done, dcmi_set_power_limit(bad, cb)).error.cc == kCcDcmiCorrectionTimeOutOfRange);
  bad = {0x01, 400, 5000, 0};
  CHECK(AWAIT(Done, dcmi_set_power_limit(bad, cb)).error.cc == kCcDcmiSamplingPeriodOutOfRange);

  DcmiPowerLimit good{0x11, 400, 5000, 10};
  REQUIRE(AWAIT(Done, dcmi_set_power_limit(good, cb)).ok());
  REQUIRE(AWAIT(Done, dcmi_activate_power_limit(true, cb)).ok());
  limit = AWAIT(PowerLimitState, dcmi_get_power_limit(cb));
  REQUIRE(limit.ok());
  CHECK(limit.value->active);
  REQUIRE(limit.value->limit);
  CHECK(limit.value->limit->limit_watts == 400);
  CHECK(limit.value->limit->correction_time_ms == 5000);
  CHECK(limit.value->limit->exception_action == 0x11);
  CHECK(limit.value->limit->sampling_period_s == 10);

  // Cross-check with both peers' tools against the same simulator.
  auto ipmitool = run_command(sim.ipmitool("dcmi power get_limit"));
  INFO(ipmitool.output);
  CHECK(ipmitool.output.find("400 Watts") != std::string::npos);
  CHECK(ipmitool.output.find("Power Limit Active") != std::string::npos);
  if (have_command("ipmi-dcmi")) {
    auto freeipmi = run_command(sim.freeipmi("ipmi-dcmi", "--get-power-limit"));
    INFO(freeipmi.output);
    CHECK(freeipmi.output.find("Power Limit Requested                             : 400 watts") !=
          std::string::npos);
    auto power = run_command(sim.freeipmi("ipmi-dcmi", "--get-system-power-statistics"));
    INFO(power.output);
    CHECK(power.output.find("Current Power                        : 250 Watts") !=
          std::string::npos);
  }

  REQUIRE(AWAIT(Done, dcmi_activate_power_limit(false, cb)).ok());
  limit = AWAIT(PowerLimitState, dcmi_get_power_limit(cb));
  REQUIRE(limit.ok());
  CHECK_FALSE(limit.value->active);
  REQUIRE(limit.value->limit);
  CHECK(limit.value->limit->limit_watts == 400);  // configured, inactive

  // One session served every request; the metrics say so.
  CHECK(client->stats().sessions_opened == 1);
  auto scrape = metrics.serialize();
  CHECK(sample_value(scrape, R"(bmcquiet_ipmi_sessions_opened_total{transport="lanplus"})") == 1.0);
  CHECK(sample_value(scrape, R"(bmcquiet_ipmi_requests_total{transport="lanplus"})") == 12.0);
}

TEST_CASE("lanplus client: watchdog set, reset and countdown; SOL enable", "[ipmi][ipmi_sim]") {
  if (skip_without_sim()) return;
  IpmiSim sim;
  REQUIRE(sim.start());
  boost::asio::io_context io;
  auto client = Client::create(io, sim.client_config(), nullptr);

  auto early = AWAIT(Done, reset_watchdog(cb));
  CHECK(early.error.status == Status::completion_code);
  CHECK(early.error.cc == 0x80);  // "attempt to start an uninitialised watchdog"

  WatchdogSettings s;
  s.timer_use = std::uint8_t(TimerUse::sms_os);
  s.timeout_action = std::uint8_t(TimeoutAction::hard_reset);
  s.initial_countdown_100ms = 600;
  REQUIRE(AWAIT(Done, set_watchdog(s, cb)).ok());
  auto w = AWAIT(WatchdogState, get_watchdog(cb));
  REQUIRE(w.ok());
  CHECK_FALSE(w.value->running);
  CHECK(w.value->timer_use == 4);
  CHECK(w.value->timeout_action == 1);
  CHECK(w.value->initial_countdown_100ms == 600);

  REQUIRE(AWAIT(Done, reset_watchdog(cb)).ok());
  w = AWAIT(WatchdogState, get_watchdog(cb));
  REQUIRE(w.ok());
  CHECK(w.value->running);
  CHECK(w.value->present_countdown_100ms <= 600);
  CHECK(w.value->present_countdown_100ms > 0);
  auto tool = run_command(sim.ipmitool("mc watchdog get"));
  INFO(tool.output);
  CHECK(tool.output.find("Started/Running") != std::string::npos);

  s.timer_use = 7;  // reserved
  CHECK(AWAIT(Done, set_watchdog(s, cb)).error.cc == kCcInvalidDataField);

  auto sol = AWAIT(bool, get_sol_enabled(cb));
  INFO(sol.error.message);
  REQUIRE(sol.ok());
  CHECK(*sol.value);
  REQUIRE(AWAIT(Done, set_sol_enabled(false, cb)).ok());
  sol = AWAIT(bool, get_sol_enabled(cb));
  REQUIRE(sol.ok());
  CHECK_FALSE(*sol.value);
  auto sol_tool = run_command(sim.ipmitool("sol info"));
  INFO(sol_tool.output);
  CHECK(sol_tool.output.find("Enabled                         : false") != std::string::npos);
  REQUIRE(AWAIT(Done, set_sol_enabled(true, cb)).ok());
  CHECK(*AWAIT(bool, get_sol_enabled(cb)).value);
}

TEST_CASE("lanplus client: SEL info, read all, stale reservation refused, clear",
          "[ipmi][ipmi_sim]") {
  if (skip_without_sim()) return;
  IpmiSim sim(3);
  REQUIRE(sim.start());
  boost::asio::io_context io;
  auto client = Client::create(io, sim.client_config(), nullptr);

  auto info = AWAIT(SelInfo, get_sel_info(cb));
  REQUIRE(info.ok());
  CHECK(info.value->entries == 3);
  CHECK(info.value->supports_reserve);
  CHECK(info.value->last_add_time);

  auto stale = AWAIT(std::uint16_t, reserve_sel(cb));
  REQUIRE(stale.ok());
  auto entries = AWAIT(std::vector<SelEntry>, get_sel_entries(*stale.value, cb));
  REQUIRE(entries.ok());
  REQUIRE(entries.value->size() == 3);
  CHECK(entries.value->at(0).record_type == 0x02);
  CHECK(entries.value->at(2).raw[14] == 0x62);  // event data 2 of the third entry
  if (have_command("ipmi-sel")) {
    auto tool = run_command(
        sim.freeipmi("ipmi-sel", "--ignore-sdr-cache --no-header-output --comma-separated-output"));
    INFO(tool.output);
    CHECK(std::count(tool.output.begin(), tool.output.end(), '\n') == 3);
  }

  auto fresh = AWAIT(std::uint16_t, reserve_sel(cb));  // cancels the first reservation
  REQUIRE(fresh.ok());
  CHECK(*fresh.value != *stale.value);
  auto refused = AWAIT(SelClearStatus, clear_sel(*stale.value, cb));
  CHECK(refused.error.status == Status::completion_code);
  CHECK(refused.error.cc == kCcInvalidReservation);
  CHECK(AWAIT(SelInfo, get_sel_info(cb)).value->entries == 3);  // nothing lost

  auto cleared = AWAIT(SelClearStatus, clear_sel(*fresh.value, cb));
  INFO(cleared.error.message);
  REQUIRE(cleared.ok());
  CHECK(cleared.value->complete);
  CHECK(AWAIT(SelInfo, get_sel_info(cb)).value->entries == 0);
  auto after = AWAIT(std::uint16_t, reserve_sel(cb));
  auto none = AWAIT(std::vector<SelEntry>, get_sel_entries(*after.value, cb));
  REQUIRE(none.ok());
  CHECK(none.value->empty());
}

TEST_CASE("lanplus client: a BMC that stops answering times out, then recovers",
          "[ipmi][ipmi_sim]") {
  if (skip_without_sim()) return;
  IpmiSim sim;
  REQUIRE(sim.start());
  boost::asio::io_context io;
  auto config = sim.client_config();
  config.timeout = 200ms;
  auto client = Client::create(io, config, nullptr);
  REQUIRE(AWAIT(DeviceId, get_device_id(cb)).ok());

  sim.pause();
  auto lost = AWAIT(DeviceId, get_device_id(cb));
  CHECK(lost.error.status == Status::timeout);
  CHECK(lost.error.message.find("no answer") != std::string::npos);
  CHECK(client->stats().timeouts >= 2);
  sim.resume();

  auto back = AWAIT(DeviceId, get_device_id(cb));
  INFO(back.error.message);
  CHECK(back.ok());
  CHECK(client->stats().sessions_opened == 2);  // the old session was dropped
}

TEST_CASE("lanplus client: wrong password and refused privilege are clear errors",
          "[ipmi][ipmi_sim]") {
  if (skip_without_sim()) return;
  IpmiSim sim;
  REQUIRE(sim.start());
  boost::asio::io_context io;
  auto config = sim.client_config();
  config.password_file = sim.dir().write("wrong", "not-the-password");
  ::chmod(config.password_file.c_str(), 0600);
  auto client = Client::create(io, config, nullptr);
  auto r = AWAIT(DeviceId, get_device_id(cb));
  CHECK(r.error.status == Status::transport);
  CHECK(r.error.message.find("password") != std::string::npos);
  CHECK(r.error.message.find("not-the-password") == std::string::npos);

  // The session runs at the privilege asked for (ipmi_sim does not enforce a
  // user's own limit, so this checks the other direction): a User-level
  // session may read the SEL but not clear it.
  config = sim.client_config();
  config.username = "viewer";
  config.privilege = Privilege::user;
  auto viewer = Client::create(io, config, nullptr);
  auto id = await<DeviceId>(io, [&](Callback<DeviceId> cb) { viewer->get_device_id(cb); });
  INFO(id.error.message);
  CHECK(id.ok());
  auto res = await<std::uint16_t>(io, [&](Callback<std::uint16_t> cb) { viewer->reserve_sel(cb); });
  REQUIRE(res.ok());
  auto clear = await<SelClearStatus>(
      io, [&](Callback<SelClearStatus> cb) { viewer->clear_sel(*res.value, cb); });
  CHECK(clear.error.cc == 0xD4);  // insufficient privilege
}
