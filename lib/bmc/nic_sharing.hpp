// Does the BMC share a host NIC? (The article: "If the BMC MAC appears on a
// host interface, you're sharing": NC-SI / shared-LOM BMC traffic then
// crosses the host's PCIe NIC.) Pure: the BMC's ports (Redfish, IPMI) and
// the host's interfaces in, one verdict out.
//
// The rules, strongest first, over the BMC's enabled ports (the BMC's
// USB/virtual host interface never counts):
// 1. vendor_setting: the BMC's own word (a vendor OEM setting, or the
//    standard Links.Ports into SharedNetworkPorts/DedicatedNetworkPorts).
//    It wins: vendors allocate one MAC block per board, so a dedicated
//    port's MAC is often next to the LOM's (Supermicro: LAN1, LAN2, BMC).
// 2. mac_match: a BMC MAC equals a host interface's current or permanent
//    MAC.
// 3. mac_offset: a BMC MAC is a host port's permanent MAC plus 1..kMaxOffset
//    in the same vendor block (OUI), the shared-LOM NC-SI pattern. Only
//    when no port has a word: it cannot tell shared from a board's block.
// 4. no_mac_relation: BMC MACs and host interfaces known, nothing related:
//    dedicated, as the article's hand check concludes.
// Without a BMC MAC, or without host interfaces, the answer is unknown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "platform/net_ifaces.hpp"

namespace bmcquiet::bmc {

inline constexpr std::uint32_t kMaxMacOffset = 4;

struct NicPort {
  std::string source;  // "redfish" or "ipmi"
  std::string port;    // "Managers/1/EthernetInterfaces/2", "channel 1"
  std::string mac, permanent_mac;
  bool enabled = true;
  bool host_interface = false;
  std::optional<bool> shared;  // the BMC's own word, with where it says so
  std::string setting;
};

struct NicVerdict {
  std::optional<bool> shared;  // nullopt: cannot tell (see why)
  std::string how;             // vendor_setting, mac_match, mac_offset, no_mac_relation
  std::string interface, pci;  // the host interface shared, when known
  std::string bmc_mac, port, source;
  std::string evidence;  // one sentence for check and the logs
  std::string why;       // when shared is nullopt
};

NicVerdict decide_nic_sharing(const std::vector<NicPort>& ports,
                              const std::vector<HostInterface>& host);

}  // namespace bmcquiet::bmc
