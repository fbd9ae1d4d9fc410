#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bmc/nic_sharing.hpp"
#include "collectors/collector.hpp"
#include "core/config_section.hpp"
#include "platform/net_ifaces.hpp"

namespace bmcquiet {

// Whether the BMC shares a host NIC (NC-SI / shared LOM: its traffic then
// crosses the host's PCIe NIC): the BMC's ports and MACs over Redfish
// (Manager EthernetInterfaces, vendor port settings) and IPMI (LAN
// configuration parameter 5 on every LAN channel) against the host's PCI
// network interfaces (bmc/nic_sharing.hpp has the rules). Runs at start and
// then on its own long interval, never on a Redfish poll.
std::unique_ptr<Collector> make_bmc_nic_collector(const CollectorEnv& env, ConfigSection& section);
// The same with another permanent-MAC reader (tests with a fake sysfs tree).
std::unique_ptr<Collector> make_bmc_nic_collector_with(const CollectorEnv& env,
                                                       PermAddressReader perm);

// What one look found; `errors` names each transport that could not be read.
struct NicLook {
  bmc::NicVerdict verdict;
  std::vector<std::string> errors;
  bool bmc_answered = false;               // some transport gave its ports
  std::vector<std::uint8_t> lan_channels;  // IPMI LAN channels with a MAC
};

// One look: the borrowed BMC's transports (those configured), then the host
// interfaces under sysfs. done runs once, on the loop. `check` uses it too.
// lan_channels from an earlier look spares the IPMI channel scan.
void look_at_bmc_nic(const std::shared_ptr<bmc::Bmc>& bmc, const std::string& sysfs,
                     PermAddressReader perm, std::function<void(NicLook)> done,
                     std::vector<std::uint8_t> lan_channels = {});

}  // namespace bmcquiet
