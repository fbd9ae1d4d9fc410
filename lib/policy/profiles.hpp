// Vendor profiles: which BMC this is, and which OEM settings we may touch.
//
// OEM properties and raw commands mean different things on different vendors,
// so an OEM setting is used only through the one profile that matches the
// identified BMC. No match, or signals that point at two vendors, means no
// profile: OEM-only items are then `unsupported` and nothing OEM is sent.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "policy/settings.hpp"

namespace bmcquiet::policy {

// What the transports told us about the BMC. Any field may be missing: the
// real captures mostly omit Manager.Manufacturer.
struct BmcIdentity {
  std::string manufacturer;              // Redfish Manager.Manufacturer
  std::string service_vendor;            // Redfish ServiceRoot.Vendor
  std::string model;                     // Redfish Manager.Model
  std::string firmware;                  // Manager.FirmwareVersion or IPMI firmware revision
  std::set<std::string> oem_namespaces;  // keys of ServiceRoot.Oem and Manager.Oem
  std::optional<std::uint32_t> ipmi_manufacturer_id;  // IANA enterprise number, Get Device ID

  bool empty() const;
  std::string describe() const;  // one line for status and logs
};

enum class Vendor { supermicro, dell, hpe, lenovo, ami, openbmc };

// How a profile serves an item through its vendor's switch.
struct OemSetting {
  ItemId item;
  std::string where;  // e.g. "Managers/{id}/Oem/Supermicro/FanMode: Mode=FullSpeed"
};

struct Profile {
  Vendor vendor;
  std::string_view name;                         // "supermicro", "dell-idrac", ...
  std::vector<std::string_view> names;           // manufacturer/vendor prefixes, lower case
  std::vector<std::string_view> oem_namespaces;  // Redfish Oem keys
  std::vector<std::string_view> models;          // Manager.Model prefixes that identify it alone
  std::vector<std::uint32_t> ipmi_manufacturer_ids;
  // The redfish::VendorOem (oem.hpp) whose switches this profile may write:
  // its switch table is the one source of the vendor's OEM paths, keys and
  // quiet values.
  std::string_view oem_reader = {};
  // What this profile knows how to do: the items its vendor's switch table
  // serves (filled from that table, never written by hand).
  std::vector<OemSetting> oem_settings = {};

  const OemSetting* oem(ItemId item) const;
};

const std::vector<Profile>& profiles();

struct Identification {
  const Profile* profile = nullptr;
  std::string reason;  // why this profile, or why none
};

// Exactly one profile whose signals match, and none that contradicts it.
Identification identify(const BmcIdentity& identity);

// True when only a vendor profile can serve the item (no standard Redfish or
// IPMI for it): the item table says (item_table.cpp).
bool needs_profile(ItemId item);

}  // namespace bmcquiet::policy
