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

std::vector<std::string> row_keys(const OemSwitchRow& row) {
  std::vector<std::string> keys;
  std::string_view rest = row.keys;
  for (auto slash = rest.find('/'); !rest.empty(); slash = rest.find('/')) {
    keys.emplace_back(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  return keys;
}

std::string_view quiet_value(const OemSwitchRow& row, const Json& member) {
  if (member.is_bool()) return row.off_bool;
  if (member.is_string()) return row.off_text;
  return {};
}

std::vector<OemSwitch> VendorOem::switches(const std::string& path, const Json& body) const {
  std::string_view last = path;
  while (!last.empty() && last.back() == '/') last.remove_suffix(1);
  last = last.substr(last.rfind('/') + 1);
  std::vector<OemSwitch> out;
  for (const auto& row : table()) {
    auto keys = row_keys(row);
    auto member = body;
    for (const auto& k : keys) member = member[k];
    const auto quiet = quiet_value(row, member);
    if (quiet.empty()) continue;
    std::string where(row.source);
    if (auto at = where.find("{resource}"); at != std::string::npos)
      where.replace(at, std::string_view("{resource}").size(), last);
    out.push_back({std::string(row.setting), path, std::move(keys), std::string(quiet), where});
  }
  return out;
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
