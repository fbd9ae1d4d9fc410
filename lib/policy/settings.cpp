#include "policy/settings.hpp"

#include <string>

namespace bmcquiet::policy {
namespace {

using namespace std::chrono_literals;

constexpr std::array<std::string_view, kItemCount> kItemNames = {
    "sol",        "virtual_media",  "sel",
    "watchdog",   "power_cap",      "fans",
    "kvm",        "sensor_polling", "firmware_auto_update",
    "inband_ipmi"};

Mode read_mode(ConfigSection& item) {
  auto text = item.get_enum("mode", "report", {"off", "report", "enforce"});
  if (text == "off") return Mode::off;
  if (text == "enforce") return Mode::enforce;
  return Mode::report;
}

std::chrono::seconds whole_seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d);
}

// Each item's section: `mode` plus the parameters that item has.
void read_item(ConfigSection& item, ItemId id, PolicySettings& s) {
  s.set_mode(id, read_mode(item));
  switch (id) {
    case ItemId::sel:
      s.sel_max_fill_ratio = item.get_double("max_fill_ratio", s.sel_max_fill_ratio, 0.05, 1.0);
      s.sel_archive_max_bytes = static_cast<std::uint64_t>(
          item.get_int("archive_max_bytes", std::int64_t(s.sel_archive_max_bytes), 64 * 1024,
                       std::int64_t(1) << 34));
      s.sel_archive_keep = int(item.get_int("archive_keep", s.sel_archive_keep, 1, 1000));
      break;
    case ItemId::watchdog:
      s.watchdog_min_timeout =
          whole_seconds(item.get_duration("min_timeout", s.watchdog_min_timeout, 0s, 24h));
      break;
    case ItemId::power_cap:
      s.power_floor_watts = item.get_double("floor_watts", s.power_floor_watts, 0, 100000);
      break;
    case ItemId::sensor_polling:
      s.sensor_poll_min_interval =
          whole_seconds(item.get_duration("min_interval", s.sensor_poll_min_interval, 0s, 24h));
      break;
    default:
      break;
  }
}

}  // namespace

std::string_view to_string(ItemId id) { return kItemNames[static_cast<std::size_t>(id)]; }

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::off:
      return "off";
    case Mode::enforce:
      return "enforce";
    default:
      return "report";
  }
}

std::optional<ItemId> item_from_string(std::string_view name) {
  for (auto id : kAllItems)
    if (to_string(id) == name) return id;
  return std::nullopt;
}

PolicySettings read_policy_settings(ConfigSection& section) {
  PolicySettings s;
  s.modes.fill(Mode::report);
  auto flap = section.section("flap_guard");
  s.flap_max_drifts = int(flap.get_int("max_drifts", s.flap_max_drifts, 1, 1000));
  s.flap_window = flap.get_duration("window", s.flap_window, 1s, 24h * 7);
  flap.finish();
  auto backoff = section.section("backoff");
  s.backoff_initial = backoff.get_duration("initial", s.backoff_initial, 10ms, 24h);
  s.backoff_max = backoff.get_duration("max", s.backoff_max, 10ms, 24h * 7);
  if (s.backoff_max < s.backoff_initial) backoff.error("max", "must be at least backoff.initial");
  backoff.finish();
  auto items = section.section("items");
  for (auto id : kAllItems) {
    auto item = items.section(to_string(id));
    read_item(item, id, s);
    item.finish();
  }
  items.finish();
  return s;
}

}  // namespace bmcquiet::policy
