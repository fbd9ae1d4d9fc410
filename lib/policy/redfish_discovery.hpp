// Identifies a BMC over Redfish (ServiceRoot, first Manager, System and
// Chassis, by their links) and builds the backends Redfish can serve: the
// standard properties for everyone, OEM ones only through the matching
// vendor profile.
#pragma once

#include <functional>

#include "policy/item.hpp"
#include "policy/redfish_items.hpp"

namespace bmcquiet::policy {

void discover_redfish(RedfishClient client, const PolicySettings& settings,
                      SelItemOptions sel_options, std::function<void(Discovery)> done);

}  // namespace bmcquiet::policy
