#include "redfish/oem.hpp"

namespace bmcquiet::redfish {

const std::vector<const VendorOem*>& vendor_oems() {
  static const std::vector<const VendorOem*> all;
  return all;
}

const VendorOem* vendor_oem_for(const Json& manager, const Json& system) {
  for (const auto* v : vendor_oems())
    if (!v->resources(manager, system).empty()) return v;
  return nullptr;
}

}  // namespace bmcquiet::redfish
