// Item backends over IPMI, for what Redfish cannot serve (or when only IPMI is
// configured): SOL enable (SOL config parameter 1), the host watchdog, the
// DCMI power limit and the SEL with a real reservation.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "policy/item.hpp"
#include "policy/sel_item.hpp"

namespace bmcquiet::ipmi {
class Client;
}

namespace bmcquiet::policy {

using IpmiClient = std::shared_ptr<ipmi::Client>;

std::shared_ptr<ItemBackend> make_ipmi_sol(IpmiClient client);
std::shared_ptr<ItemBackend> make_ipmi_watchdog(IpmiClient client,
                                                std::chrono::seconds min_timeout);
std::shared_ptr<ItemBackend> make_ipmi_power_cap(IpmiClient client, double floor_watts);
std::shared_ptr<SelSource> make_ipmi_sel(IpmiClient client);

// Adds the IPMI manufacturer ID to the identity (Get Device ID), re-picks the
// profile, and fills the items Redfish left without a backend.
void complete_with_ipmi(IpmiClient client, const PolicySettings& settings,
                        SelItemOptions sel_options, BmcSupport discovery,
                        std::function<void(BmcSupport)> done);

}  // namespace bmcquiet::policy
