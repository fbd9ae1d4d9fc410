// The BMC's own network ports over Redfish: every Manager's
// EthernetInterfaces (whatever their Ids or order) with their MACs, and what
// the BMC itself says about where each port's traffic goes — the standard
// Links.Ports into the Manager's DedicatedNetworkPorts / SharedNetworkPorts,
// or a vendor's OEM setting (the table in nic_oem.cpp). Read on a long
// interval by the bmc_nic collector, never on the poll path.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redfish/json.hpp"

namespace bmcquiet::redfish {

class Client;

// What the BMC says about a port: shared with a host NIC (NC-SI, shared
// LOM) or dedicated, and where it says so.
struct NicWord {
  bool shared = false;
  std::string setting;  // "Oem.Hpe.InterfaceType=Shared", "NIC.1.Selection=LOM1", ...
};

struct BmcPort {
  std::string manager, id;         // Manager Id, EthernetInterface Id
  std::string mac, permanent_mac;  // normalised; "" when absent
  bool enabled = true;             // InterfaceEnabled / Status.State
  bool host_interface = false;     // the BMC's USB/virtual link to the host OS
  std::optional<NicWord> word;     // the BMC's own indication for this port
};

// One EthernetInterface body; manager is the Manager body (for its
// DedicatedNetworkPorts / SharedNetworkPorts links).
BmcPort decode_ethernet_interface(const Json& manager, const Json& body);
// A vendor's per-interface OEM indication (HPE, Supermicro), if any.
std::optional<NicWord> interface_nic_word(const Json& body);
// A vendor's manager-wide indication from an attribute set (Dell iDRAC
// DellAttributes: CurrentNIC.1.ActiveNIC, else NIC.1.Selection).
std::optional<NicWord> attributes_nic_word(const Json& attribute_set);

struct BmcPorts {
  std::vector<BmcPort> ports;  // by manager, then interface path
  std::string error;           // what could not be read ("" when all was)
};

// Discovery's model (never a guessed URL), then each Manager's
// EthernetInterfaces and its members, then the vendor's attribute sets when
// its OEM table reads them; a manager-wide word applies to the ports that
// have none of their own.
void read_bmc_ports(const std::shared_ptr<Client>& client, std::function<void(BmcPorts)> done);

}  // namespace bmcquiet::redfish
