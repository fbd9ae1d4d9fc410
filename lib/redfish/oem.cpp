#include "redfish/oem.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "redfish/oem_decide.hpp"

namespace bmcquiet::redfish {

// One per vendor, each in its own file (oem_dell.cpp, ...).
const VendorOem& dell_oem();
const VendorOem& supermicro_oem();
const VendorOem& hpe_oem();
const VendorOem& lenovo_oem();

const std::vector<const VendorOem*>& vendor_oems() {
  static const std::vector<const VendorOem*> all = {&dell_oem(), &supermicro_oem(), &hpe_oem(),
                                                    &lenovo_oem()};
  return all;
}

const VendorOem* vendor_oem_for(const Json& manager, const Json& system) {
  for (const auto* v : vendor_oems())
    if (!v->resources(manager, system).empty()) return v;
  return nullptr;
}

namespace {

OemDisagreement* find_setting(std::vector<OemDisagreement>& list, const std::string& setting) {
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const OemDisagreement& d) { return d.setting == setting; });
  return it == list.end() ? nullptr : &*it;
}

void erase_setting(std::vector<OemDisagreement>& list, const std::string& setting) {
  std::erase_if(list, [&](const OemDisagreement& d) { return d.setting == setting; });
}

// A vendor resource read twice in one poll replaces its earlier decision.
OemDisagreement& new_decision(Snapshot& s, OemDisagreement d) {
  erase_setting(s.oem_decisions, d.setting);
  s.oem_decisions.push_back(std::move(d));
  return s.oem_decisions.back();
}

void show_disagreement(Snapshot& s, const OemDisagreement& d, bool disagree) {
  erase_setting(s.disagreements, d.setting);
  if (disagree) s.disagreements.push_back(d);
}

std::string describe(std::optional<bool> v) {
  return !v ? kStandardNotSeen : *v ? "enabled" : "disabled";
}

bool flag_disagrees(std::optional<bool> standard, bool on) {
  return standard ? *standard != on : on;
}

std::string describe(const PowerLimit& l) {
  if (!l.known) return kStandardNotSeen;
  if (l.watts) return fmt::format("{:.0f} W", *l.watts);
  if (l.ratio) return fmt::format("{:.0f} %", *l.ratio * 100);
  return "none";
}

// s.power_limit holds the standard's limit (or none); the decision makes it
// the effective one.
void apply_cap(Snapshot& s, OemDisagreement& d, std::optional<double> oem_watts,
               const std::string& oem_path) {
  auto& l = s.power_limit;
  d.standard = describe(l);
  const bool active = l.watts || l.ratio;
  const bool on = d.oem == oem_switch_text(true);
  if (on && !active) l.watts = oem_watts;
  if (!on && l.watts) l.inactive_watts = l.watts;
  if (!on) {
    l.watts.reset();
    l.ratio.reset();
  }
  if (l.path.empty()) l.path = oem_path;
  l.known = true;
  show_disagreement(s, d, on != active);
}

}  // namespace

void decide_flag(Snapshot& s, std::optional<bool>& field, const std::string& setting, bool on,
                 const std::string& source) {
  const auto& d = new_decision(s, {setting, describe(field), oem_switch_text(on), source});
  show_disagreement(s, d, flag_disagrees(field, on));
  field = on;
}

void standard_flag(Snapshot& s, std::optional<bool>& field, const std::string& setting,
                   std::optional<bool> standard) {
  auto* d = find_setting(s.oem_decisions, setting);
  if (!d) {
    field = standard;
    return;
  }
  if (d->standard != kStandardNotSeen) return;  // a standard value was compared already
  d->standard = describe(standard);
  show_disagreement(s, *d, flag_disagrees(standard, d->oem == oem_switch_text(true)));
}

void decide_power_cap(Snapshot& s, bool enabled, std::optional<double> oem_watts,
                      const std::string& source, const std::string& oem_path) {
  auto& d = new_decision(s, {"power_cap", "", oem_switch_text(enabled), source});
  apply_cap(s, d, oem_watts, oem_path);
}

void standard_power_limit(Snapshot& s, const PowerLimit& limit) {
  auto* d = find_setting(s.oem_decisions, "power_cap");
  if (!d) {
    if (!s.power_limit.known) s.power_limit = limit;  // the first standard limit wins
    return;
  }
  if (d->standard != kStandardNotSeen) return;
  // Only the vendor's values so far: the standard's replace them, then the
  // decision applies again.
  const auto oem_watts = s.power_limit.watts;
  const auto oem_path = s.power_limit.path;
  const auto max = s.power_limit.allowable_max, min = s.power_limit.allowable_min;
  s.power_limit = limit;
  if (!s.power_limit.allowable_max) s.power_limit.allowable_max = max;
  if (!s.power_limit.allowable_min) s.power_limit.allowable_min = min;
  apply_cap(s, *d, oem_watts, oem_path);
}

}  // namespace bmcquiet::redfish
