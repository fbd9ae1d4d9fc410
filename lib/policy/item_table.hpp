// Every policy item as data, one row each (item_table.cpp): its config
// parameters, the standard Redfish property that serves it, the vendor switch
// that replaces that property under a matching profile, the IPMI backend that
// serves it (or takes over when Redfish refuses the write), and why it is
// unsupported when nothing does. Discovery, the provider and the settings
// parser read these rows instead of knowing items by name.
//
// Adding an item: its ItemId (settings.hpp) and its row here. A vendor's
// switch for it is one row in that vendor's table (redfish/oem_<vendor>.cpp).
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "policy/item.hpp"
#include "policy/settings.hpp"

namespace bmcquiet {
class ConfigSection;
}
namespace bmcquiet::ipmi {
class Client;
}

namespace bmcquiet::policy {

// A standard Redfish property: the first resource of its kind (in path
// order) that has it serves the item, written with If-Match.
struct StandardProperty {
  enum class On { systems, manager };  // the model's Systems, or its chosen Manager
  On on;
  std::vector<std::string_view> keys;  // JSON members down to the property
  std::string_view off_json;           // the value the policy wants
};

using IpmiBackendFactory = std::shared_ptr<ItemBackend> (*)(const std::shared_ptr<ipmi::Client>&,
                                                            const PolicySettings&);

struct ItemSpec {
  ItemId id;
  std::string_view name;  // config key and `setting` label
  // Reads the item's own parameters besides `mode`; null when it has none.
  void (*read_parameters)(ConfigSection& item, PolicySettings& s) = nullptr;
  // Tried in order; empty when Redfish serves the item with a backend of its
  // own (virtual media, SEL, power cap: see redfish_discovery.cpp) or not at all.
  std::vector<StandardProperty> standard = {};
  // When the standard property and the vendor switch apply (null: always).
  bool (*property_applies)(const PolicySettings& s) = nullptr;
  // The redfish::OemSwitch::setting that serves this item under a matching
  // profile ("" = none): it replaces the standard property.
  std::string_view oem_switch = {};
  // Over IPMI, where Redfish leaves the item without a backend, and as the
  // fallback when Redfish refuses the write. Null: no IPMI equivalent.
  IpmiBackendFactory ipmi = nullptr;
  // Only a vendor switch can serve it (no standard Redfish or IPMI setting).
  bool needs_profile = false;
  // Why a matching profile without a switch for it cannot serve it ("" = generic).
  std::string_view no_switch = {};
  // Enforcing it would cut bmcquiet's own in-band IPMI transport.
  bool cuts_own_inband = false;
};

// Indexed by ItemId.
const std::vector<ItemSpec>& item_specs();
const ItemSpec& spec_of(ItemId id);
// The item a vendor switch serves ("ipmi_sol" → sol); nullopt for switches
// with no item of their own ("serial_console", "ipmi_lan").
std::optional<ItemId> item_for_oem_switch(std::string_view setting);

}  // namespace bmcquiet::policy
