#include "policy/settings.hpp"

#include <string>

#include "policy/item_table.hpp"

namespace bmcquiet::policy {
namespace {

using namespace std::chrono_literals;

Mode read_mode(ConfigSection& item) {
  auto text = item.get_enum("mode", "report", {"off", "report", "enforce"});
  if (text == "off") return Mode::off;
  if (text == "enforce") return Mode::enforce;
  return Mode::report;
}

// Each item's section: `mode` plus the parameters its row reads.
void read_item(ConfigSection& item, ItemId id, PolicySettings& s) {
  s.set_mode(id, read_mode(item));
  if (const auto read = spec_of(id).read_parameters) read(item, s);
}

}  // namespace

std::string_view to_string(ItemId id) { return spec_of(id).name; }

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
