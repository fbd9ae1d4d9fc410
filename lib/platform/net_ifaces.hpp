// The host's physical network interfaces as <sysfs>/class/net shows them,
// with each one's permanent (burnt-in) MAC: a NIC's current address can be
// changed (bonds, VMs) while NC-SI BMCs derive theirs from the burnt-in one.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bmcquiet {

struct HostInterface {
  std::string name;          // "eno1"
  std::string address;       // current MAC, lower case
  std::string perm_address;  // burnt-in MAC; "" when the driver does not say
  std::string pci;           // PCI address of its device, "0000:3b:00.0"
};

// The burnt-in MAC of an interface, normalised ("" when unknown or unset). The real one asks the
// kernel (ETHTOOL_GPERMADDR); tests pass their own for interfaces that exist
// only in a fake sysfs tree.
using PermAddressReader = std::function<std::string(const std::string& ifname)>;
std::string ethtool_perm_address(const std::string& ifname);

// Ethernet interfaces (type 1) backed by a PCI device; loopback, bridges,
// bonds, VLANs, tunnels and USB links (a Redfish host interface) have no
// PCI `device` and are left out. Sorted by name. Only the interfaces of the
// daemon's network namespace are visible: run it in the host's.
std::vector<HostInterface> host_interfaces(const std::string& sysfs,
                                           const PermAddressReader& perm = ethtool_perm_address);

}  // namespace bmcquiet
