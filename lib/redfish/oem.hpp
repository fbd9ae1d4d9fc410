// Vendor OEM switches the standard properties do not show truthfully: one
// file per vendor (oem_dell.cpp, oem_supermicro.cpp, ...), registered in
// oem.cpp. The collector and the policy read the same switches, so both say
// the same thing about a BMC. A vendor's reader applies only when the BMC
// advertises that vendor's OEM resources (capability detection, never a
// guessed URL).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "redfish/json.hpp"
#include "redfish/snapshot.hpp"

namespace bmcquiet::redfish {

// One OEM switch the policy may write: where it lives and what "quiet" is.
struct OemSwitch {
  std::string setting;            // "power_cap", "ipmi_sol", "serial_console", "ipmi_lan", "kvm",
                                  // "fans", "firmware_auto_update"
  std::string path;               // the resource holding it
  std::vector<std::string> keys;  // JSON members down to the property
  std::string quiet_json;         // the value the quiet-BMC policy wants, e.g. "Disabled"
  std::string where;              // "DellAttributes iDRAC.Embedded.1 IPMISOL.1.Enable"
};

// One row of a vendor's switch table: the vendor profile as data. `keys`
// and `source` are resolved against whichever of the vendor's resources()
// holds the member; the quiet value follows the member's JSON type, and a
// member of another type is not a switch this row knows.
struct OemSwitchRow {
  std::string setting;   // as OemSwitch::setting
  std::string resource;  // where it lives, for people: "Managers/{id}/NetworkProtocol"
  std::string keys;      // JSON members down to it, '/'-separated: "Oem/Hpe/KcsEnabled"
  std::string off_bool;  // quiet value when the member is a boolean ("false"), or ""
  std::string off_text;  // quiet value when it is a string ("\"Disabled\""), or ""
  // OemSwitch::where; "{resource}" becomes the last segment of the path read.
  std::string source;
};

class VendorOem {
 public:
  virtual ~VendorOem() = default;
  virtual std::string name() const = 0;  // "dell", "supermicro", "hpe", ...
  // The OEM resources to read, from the Manager and System bodies' links;
  // empty when this BMC is not this vendor's.
  virtual std::vector<std::string> resources(const Json& manager, const Json& system) const = 0;
  // Applies what one of those resources says: the OEM value overrides the
  // standard one in the snapshot, and a disagreement is recorded.
  virtual void read(const std::string& path, const Json& body, Snapshot& s) const = 0;
  // This vendor's switches, as data (the one place a vendor switch is added).
  virtual const std::vector<OemSwitchRow>& table() const = 0;
  // The switches one of those resources holds (for the policy's writes): the
  // rows of table() whose member the body has, in a type the row knows.
  std::vector<OemSwitch> switches(const std::string& path, const Json& body) const;
};

// The quiet value a row wants for this member, or "" when the member is absent
// or of a type the row does not know.
std::string_view quiet_value(const OemSwitchRow& row, const Json& member);
// The row's keys, split at '/'.
std::vector<std::string> row_keys(const OemSwitchRow& row);

// Every vendor's reader, in one place.
const std::vector<const VendorOem*>& vendor_oems();
// The vendor whose resources this BMC advertises, or nullptr.
const VendorOem* vendor_oem_for(const Json& manager, const Json& system);

}  // namespace bmcquiet::redfish
