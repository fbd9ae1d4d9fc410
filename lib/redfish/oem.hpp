// Vendor OEM switches the standard properties do not show truthfully: one
// file per vendor (oem_dell.cpp, oem_supermicro.cpp, ...), registered in
// oem.cpp. The collector and the policy read the same switches, so both say
// the same thing about a BMC. A vendor's reader applies only when the BMC
// advertises that vendor's OEM resources (capability detection, never a
// guessed URL).
#pragma once

#include <string>
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
  // The switches one of those resources holds (for the policy's writes).
  virtual std::vector<OemSwitch> switches(const std::string& path, const Json& body) const = 0;
};

// Every vendor's reader, in one place.
const std::vector<const VendorOem*>& vendor_oems();
// The vendor whose resources this BMC advertises, or nullptr.
const VendorOem* vendor_oem_for(const Json& manager, const Json& system);

}  // namespace bmcquiet::redfish
