// The IPMI/DCMI codec against byte layouts from the specification tables:
// IPMI 2.0 rev 1.1 (§20.1 Get Device ID, §27 watchdog, §26 SOL configuration,
// §31 SEL) and DCMI 1.5 (§6.1 capabilities, §6.6 power management).
#include <catch2/catch.hpp>

#include "ipmi/codec.hpp"

using namespace bmcquiet::ipmi;
namespace codec = bmcquiet::ipmi::codec;

namespace {

Response answer(std::uint8_t cc, Bytes data) { return {cc, std::move(data)}; }

}  // namespace

TEST_CASE("Get Device ID decodes manufacturer, product and firmware", "[ipmi][codec]") {
  auto req = codec::get_device_id();
  CHECK(req.netfn == 0x06);
  CHECK(req.cmd == 0x01);
  CHECK(req.data.empty());
  // Device 0x20, rev 3 with SDRs, fw 9.08, IPMI 2.0, support 0x9f,
  // manufacturer 0x002A7C (Supermicro, 10876), product 0x0F02, aux fw.
  auto id = codec::parse_device_id(
      answer(0, {0x20, 0x83, 0x09, 0x08, 0x02, 0x9F, 0x7C, 0x2A, 0x00, 0x02, 0x0F, 1, 2, 3, 4}));
  REQUIRE(id.ok());
  CHECK(id.value->device_id == 0x20);
  CHECK(id.value->device_revision == 3);
  CHECK(id.value->available);
  CHECK(id.value->firmware_major == 9);
  CHECK(id.value->firmware_minor == 0x08);
  CHECK(id.value->ipmi_version == 0x02);
  CHECK(id.value->manufacturer_id == 10876);
  CHECK(id.value->product_id == 0x0F02);
  CHECK(id.value->aux_firmware == 0x04030201u);
  // Bit 7 of firmware revision 1: update in progress; reserved manufacturer bits masked.
  auto busy = codec::parse_device_id(answer(0, {0, 0, 0x89, 0, 0x51, 0, 0x57, 0x01, 0xF0, 0, 0}));
  REQUIRE(busy.ok());
  CHECK_FALSE(busy.value->available);
  CHECK(busy.value->manufacturer_id == 0x000157);  // Intel (343)
  CHECK_FALSE(busy.value->aux_firmware);
  auto shortened = codec::parse_device_id(answer(0, {0x20, 0x83}));
  CHECK(shortened.error.status == Status::malformed);
}

TEST_CASE("DCMI requests carry group extension 0xDC and the spec's fields", "[ipmi][codec]") {
  auto caps = codec::dcmi_get_capabilities();
  CHECK(caps.netfn == 0x2C);
  CHECK(caps.cmd == 0x01);
  CHECK(caps.data == Bytes{0xDC, 0x01});
  auto reading = codec::dcmi_get_power_reading();
  CHECK(reading.cmd == 0x02);
  CHECK(reading.data == Bytes{0xDC, 0x01, 0x00, 0x00});
  CHECK(codec::dcmi_get_power_limit().data == Bytes{0xDC, 0x00, 0x00});
  CHECK(codec::dcmi_get_power_limit().cmd == 0x03);
  // Set Power Limit: reserved x3, action, limit LE, correction ms LE (4),
  // reserved x2, sampling period s LE.
  auto set = codec::dcmi_set_power_limit({0x01, 500, 6000, 30});
  CHECK(set.cmd == 0x04);
  CHECK(set.data ==
        Bytes{0xDC, 0, 0, 0, 0x01, 0xF4, 0x01, 0x70, 0x17, 0x00, 0x00, 0, 0, 0x1E, 0x00});
  CHECK(codec::dcmi_activate_power_limit(true).data == Bytes{0xDC, 0x01, 0x00, 0x00});
  CHECK(codec::dcmi_activate_power_limit(false).data == Bytes{0xDC, 0x00, 0x00, 0x00});
  CHECK(codec::dcmi_activate_power_limit(false).cmd == 0x05);
}

TEST_CASE("DCMI capabilities, power reading and power limit decode", "[ipmi][codec]") {
  auto caps =
      codec::parse_dcmi_capabilities(answer(0, {0xDC, 0x01, 0x05, 0x02, 0x00, 0x0F, 0x01, 0x19}));
  REQUIRE(caps.ok());
  CHECK(caps.value->minor == 5);
  CHECK(caps.value->identification);
  CHECK(caps.value->temperature_monitor);
  CHECK(caps.value->power_management);
  CHECK(caps.value->inband_kcs);
  CHECK(caps.value->oob_primary_lan);
  CHECK(caps.value->sol);
  CHECK_FALSE(caps.value->vlan);

  auto reading =
      codec::parse_power_reading(answer(0, {0xDC, 0xFA, 0x00, 0xE6, 0x00, 0x18, 0x01, 0xFF, 0x00,
                                            0x00, 0x00, 0x00, 0x5F, 0xE8, 0x03, 0x00, 0x00, 0x40}));
  REQUIRE(reading.ok());
  CHECK(reading.value->current_watts == 250);
  CHECK(reading.value->minimum_watts == 230);
  CHECK(reading.value->maximum_watts == 280);
  CHECK(reading.value->average_watts == 255);
  CHECK(reading.value->timestamp == 0x5F000000u);
  CHECK(reading.value->statistics_period_ms == 1000);
  CHECK(reading.value->active);

  const Bytes limit_bytes{0xDC, 0, 0, 0x11, 0x90, 0x01, 0x88, 0x13, 0, 0, 0, 0, 0x0A, 0x00};
  auto active = codec::parse_power_limit(answer(0, limit_bytes));
  REQUIRE(active.ok());
  CHECK(active.value->active);
  CHECK(active.value->limit->exception_action == 0x11);
  CHECK(active.value->limit->limit_watts == 400);
  CHECK(active.value->limit->correction_time_ms == 5000);
  CHECK(active.value->limit->sampling_period_s == 10);
  CHECK(describe_exception_action(active.value->limit->exception_action) == "log_only");

  // 0x80 "no active set power limit": a state, with or without the data.
  auto inactive = codec::parse_power_limit(answer(0x80, limit_bytes));
  REQUIRE(inactive.ok());
  CHECK_FALSE(inactive.value->active);
  CHECK(inactive.value->limit->limit_watts == 400);
  auto bare = codec::parse_power_limit(answer(0x80, {}));
  REQUIRE(bare.ok());
  CHECK_FALSE(bare.value->limit);
  // Anything else is an error; ipmi_sim's stock 0xC1 among them.
  auto unsupported = codec::parse_power_limit(answer(0xC1, {}));
  CHECK(unsupported.error.status == Status::completion_code);
  CHECK(unsupported.error.cc == 0xC1);
  CHECK(unsupported.error.message.find("0xC1") != std::string::npos);
  auto wrong_group = codec::parse_dcmi_ack(answer(0, {0x00}));
  CHECK(wrong_group.error.status == Status::malformed);
  CHECK(codec::parse_dcmi_ack(answer(0x84, {0xDC})).error.cc == 0x84);
}

TEST_CASE("watchdog Set/Get/Reset follow IPMI 2.0 §27", "[ipmi][codec]") {
  WatchdogSettings s;
  s.timer_use = 4;  // SMS/OS
  s.dont_log = true;
  s.dont_stop = true;
  s.timeout_action = 1;  // hard reset
  s.pretimeout_interrupt = 2;
  s.pretimeout_seconds = 10;
  s.expiration_flags_clear = 0x10;
  s.initial_countdown_100ms = 3000;
  auto set = codec::set_watchdog(s);
  CHECK(set.netfn == 0x06);
  CHECK(set.cmd == 0x24);
  CHECK(set.data == Bytes{0xC4, 0x21, 0x0A, 0x10, 0xB8, 0x0B});
  CHECK(codec::reset_watchdog().cmd == 0x22);
  CHECK(codec::get_watchdog().cmd == 0x25);

  auto w = codec::parse_watchdog(answer(0, {0x44, 0x01, 0x00, 0x10, 0xB8, 0x0B, 0x2C, 0x01}));
  REQUIRE(w.ok());
  CHECK(w.value->running);
  CHECK_FALSE(w.value->dont_log);
  CHECK(w.value->timer_use == 4);
  CHECK(w.value->timeout_action == 1);
  CHECK(w.value->expiration_flags == 0x10);
  CHECK(w.value->initial_countdown_100ms == 3000);
  CHECK(w.value->present_countdown_100ms == 300);
  CHECK(codec::parse_empty(answer(0x80, {})).error.cc == 0x80);
}

TEST_CASE("SOL configuration parameter 1 get and set", "[ipmi][codec]") {
  auto get = codec::get_sol_enabled(0x0E);
  CHECK(get.netfn == 0x0C);
  CHECK(get.cmd == 0x22);
  CHECK(get.data == Bytes{0x0E, 0x01, 0x00, 0x00});
  auto set = codec::set_sol_enabled(1, false);
  CHECK(set.cmd == 0x21);
  CHECK(set.data == Bytes{0x01, 0x01, 0x00});
  CHECK(*codec::parse_sol_enabled(answer(0, {0x11, 0x01})).value);
  CHECK_FALSE(*codec::parse_sol_enabled(answer(0, {0x11, 0x00})).value);
  CHECK(codec::parse_sol_enabled(answer(0x80, {})).error.cc == 0x80);  // parameter not supported
}

TEST_CASE("SEL info, reserve, get entry and clear follow IPMI 2.0 §31", "[ipmi][codec]") {
  CHECK(codec::get_sel_info().netfn == 0x0A);
  CHECK(codec::get_sel_info().cmd == 0x40);
  auto info = codec::parse_sel_info(answer(
      0, {0x51, 0x03, 0x00, 0x00, 0x03, 0x10, 0x20, 0x30, 0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0x8A}));
  REQUIRE(info.ok());
  CHECK(info.value->version == 0x51);
  CHECK(info.value->entries == 3);
  CHECK(info.value->free_bytes == 768);
  CHECK(info.value->last_add_time == 0x40302010u);
  CHECK_FALSE(info.value->last_erase_time);  // 0xFFFFFFFF: never erased
  CHECK(info.value->overflow);
  CHECK(info.value->supports_delete);
  CHECK(info.value->supports_reserve);
  CHECK_FALSE(info.value->supports_partial_add);

  CHECK(codec::reserve_sel().cmd == 0x42);
  CHECK(*codec::parse_sel_reservation(answer(0, {0x34, 0x12})).value == 0x1234);

  auto get = codec::get_sel_entry(0x1234, 0x0000);
  CHECK(get.cmd == 0x43);
  CHECK(get.data == Bytes{0x34, 0x12, 0x00, 0x00, 0x00, 0xFF});
  auto entry =
      codec::parse_sel_entry(answer(0, {0x02, 0x00, 0x01, 0x00, 0x02, 0x10, 0x20, 0x30, 0x40, 0x20,
                                        0x00, 0x04, 0x01, 0x01, 0x01, 0x52, 0x60, 0x70}));
  REQUIRE(entry.ok());
  CHECK(entry.value->first.record_id == 1);
  CHECK(entry.value->first.record_type == 0x02);
  CHECK(entry.value->first.raw[13] == 0x52);
  CHECK(entry.value->second == 2);
  CHECK(codec::parse_sel_entry(answer(0xC5, {})).error.cc == kCcInvalidReservation);

  auto clear = codec::clear_sel(0x1234, true);
  CHECK(clear.cmd == 0x47);
  CHECK(clear.data == Bytes{0x34, 0x12, 'C', 'L', 'R', 0xAA});
  CHECK(codec::clear_sel(0x1234, false).data.back() == 0x00);
  CHECK(codec::parse_clear_sel(answer(0, {0x01})).value->complete);
  CHECK_FALSE(codec::parse_clear_sel(answer(0, {0x00})).value->complete);
  CHECK(describe_cc(0xC5) == "0xC5 reservation cancelled or invalid");
}
