#include "policy/profiles.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "ipmi/iana.hpp"
#include "policy/item_table.hpp"
#include "policy/redfish_items.hpp"
#include "redfish/oem.hpp"

namespace bmcquiet::policy {
namespace {

namespace iana = ipmi::iana;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_any(const std::string& text, const std::vector<std::string_view>& prefixes) {
  if (text.empty()) return false;
  const auto l = lower(text);
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view p) { return l.rfind(lower(p), 0) == 0; });
}

// Which signals point at this profile ("" when none do).
std::string matching_signals(const Profile& p, const BmcIdentity& id) {
  std::vector<std::string> hits;
  if (starts_with_any(id.manufacturer, p.names))
    hits.push_back(fmt::format("Manager.Manufacturer '{}'", id.manufacturer));
  if (starts_with_any(id.service_vendor, p.names))
    hits.push_back(fmt::format("ServiceRoot.Vendor '{}'", id.service_vendor));
  if (starts_with_any(id.model, p.models))
    hits.push_back(fmt::format("Manager.Model '{}'", id.model));
  for (auto ns : p.oem_namespaces)
    if (id.oem_namespaces.count(std::string(ns))) hits.push_back(fmt::format("Oem/{}", ns));
  if (id.ipmi_manufacturer_id &&
      std::count(p.ipmi_manufacturer_ids.begin(), p.ipmi_manufacturer_ids.end(),
                 *id.ipmi_manufacturer_id))
    hits.push_back(fmt::format("IPMI manufacturer ID {}", *id.ipmi_manufacturer_id));
  return fmt::format("{}", fmt::join(hits, ", "));
}

}  // namespace

bool BmcIdentity::empty() const {
  return manufacturer.empty() && service_vendor.empty() && model.empty() &&
         oem_namespaces.empty() && !ipmi_manufacturer_id;
}

std::string BmcIdentity::describe() const {
  std::vector<std::string> parts;
  if (!manufacturer.empty()) parts.push_back("manufacturer " + manufacturer);
  if (!service_vendor.empty()) parts.push_back("vendor " + service_vendor);
  if (!model.empty()) parts.push_back("model " + model);
  if (!firmware.empty()) parts.push_back("firmware " + firmware);
  if (!oem_namespaces.empty())
    parts.push_back(fmt::format("oem {}", fmt::join(oem_namespaces, "+")));
  if (ipmi_manufacturer_id) parts.push_back(fmt::format("ipmi mfr {}", *ipmi_manufacturer_id));
  return parts.empty() ? "unknown" : fmt::format("{}", fmt::join(parts, ", "));
}

const OemSetting* Profile::oem(ItemId item) const {
  for (const auto& s : oem_settings)
    if (s.item == item) return &s;
  return nullptr;
}

namespace {

// "Managers/{id}/NetworkProtocol: Oem/Hpe/KcsEnabled=disabled", and the text
// form where the row has both ("...=disabled or KCSEnabled=Disabled").
std::string describe_row(const redfish::OemSwitchRow& row) {
  const auto name = row.keys.substr(row.keys.rfind('/') + 1);
  std::vector<std::string> values;
  for (const auto& quiet : {row.off_bool, row.off_text})
    if (!quiet.empty()) values.push_back(fmt::format("{}={}", name, describe_json_value(quiet)));
  const auto path = row.keys.substr(0, row.keys.size() - name.size());
  return fmt::format("{}: {}{}", row.resource, path, fmt::join(values, " or "));
}

// The identification signals of each vendor; what each may write comes from
// its vendor's switch table (redfish/oem_<vendor>.cpp).
std::vector<Profile> make_profiles() {
  std::vector<Profile> table = {
      {Vendor::supermicro,
       "supermicro",
       {"supermicro", "super micro"},
       {"Supermicro"},
       {},
       {iana::kSupermicro},
       "supermicro"},
      {Vendor::dell, "dell-idrac", {"dell"}, {"Dell"}, {"idrac"}, {iana::kDell}, "dell"},
      {Vendor::hpe,
       "hpe-ilo",
       {"hpe", "hewlett"},
       {"Hpe", "Hp"},
       {"ilo"},
       {iana::kHpe, iana::kHp},
       "hpe"},
      {Vendor::lenovo, "lenovo-xcc", {"lenovo"}, {"Lenovo"}, {"xcc"}, {iana::kLenovo}, "lenovo"},
      {Vendor::ami,
       "ami-megarac",
       {"ami", "american megatrends"},
       {"Ami"},
       {"megarac"},
       {iana::kAmi},
       "ami"},
      {Vendor::openbmc,
       "openbmc",
       {"openbmc"},
       {"OpenBmc"},
       {"openbmc"},
       {iana::kOpenBmc},
       "openbmc"},
  };
  for (auto& profile : table)
    for (const auto* vendor : redfish::vendor_oems())
      if (vendor->name() == profile.oem_reader)
        for (const auto& row : vendor->table())
          if (auto item = item_for_oem_switch(row.setting))
            profile.oem_settings.push_back({*item, describe_row(row)});
  return table;
}

}  // namespace

const std::vector<Profile>& profiles() {
  static const std::vector<Profile> table = make_profiles();
  return table;
}

Identification identify(const BmcIdentity& identity) {
  std::vector<std::pair<const Profile*, std::string>> matches;
  for (const auto& p : profiles()) {
    auto signals = matching_signals(p, identity);
    if (!signals.empty()) matches.emplace_back(&p, std::move(signals));
  }
  if (matches.size() == 1)
    return {matches[0].first,
            fmt::format("profile {} ({})", matches[0].first->name, matches[0].second)};
  if (matches.empty())
    return {nullptr, fmt::format("no vendor profile matches this BMC ({}); OEM settings are "
                                 "left alone",
                                 identity.describe())};
  std::vector<std::string> names;
  for (const auto& [p, signals] : matches)
    names.push_back(fmt::format("{} ({})", p->name, signals));
  return {nullptr, fmt::format("BMC signals contradict each other: {}; no vendor profile is "
                               "used and OEM settings are left alone",
                               fmt::join(names, " vs "))};
}

bool needs_profile(ItemId item) { return spec_of(item).needs_profile; }

}  // namespace bmcquiet::policy
