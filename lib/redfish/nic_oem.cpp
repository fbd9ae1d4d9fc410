// Where each vendor says whether its BMC port is dedicated or shares a host
// NIC (NC-SI / shared LOM), as data. Evidence, from captures of real BMCs
// (../shared/redfish-mockups) and the vendors' references:
// - HPE iLO 5/6: each Manager EthernetInterface has Oem.Hpe.InterfaceType
//   "Dedicated", "Shared" or "HostInterface" (the virtual NIC); iLO lists
//   the shared port even when it is off (InterfaceEnabled false).
// - Supermicro: Oem.Supermicro.ActiveInterface is the port in use now
//   ("Dedicated"/"Shared"); LANInterface is the configured mode and may be
//   "Failover", which says nothing about the port in use (read only when
//   ActiveInterface is absent).
// - Dell iDRAC: DellAttributes iDRAC.Embedded.1 CurrentNIC.1.ActiveNIC (in
//   use now) and NIC.1.Selection (configured): "Dedicated", or the shared
//   LOM / OCP port ("LOM1".."LOM4", "OCP..."); "None" when unknown.
// - Lenovo XCC: no documented per-port indication was found; the MAC rules
//   apply.
#include <array>
#include <string_view>

#include "redfish/bmc_nic.hpp"

namespace bmcquiet::redfish {
namespace {

struct NicRow {
  std::string_view keys;       // '/'-separated members down to the value
  std::string_view where;      // how NicWord::setting names it
  std::string_view dedicated;  // the value that means a port of its own
  std::string_view shared;     // the one that means shared; "" = any other known value
};

constexpr std::array kInterfaceRows = {
    NicRow{"Oem/Hpe/InterfaceType", "Oem.Hpe.InterfaceType", "Dedicated", "Shared"},
    NicRow{"Oem/Supermicro/ActiveInterface", "Oem.Supermicro.ActiveInterface", "Dedicated",
           "Shared"},
    // Firmware without ActiveInterface: the configured mode, unless Failover.
    NicRow{"Oem/Supermicro/LANInterface", "Oem.Supermicro.LANInterface", "Dedicated", "Shared"},
};

// Dell: what is in use now first, then what is configured.
constexpr std::array kAttributeRows = {
    NicRow{"Attributes/CurrentNIC.1.ActiveNIC", "CurrentNIC.1.ActiveNIC", "Dedicated", ""},
    NicRow{"Attributes/NIC.1.Selection", "NIC.1.Selection", "Dedicated", ""},
};

Json member(Json body, std::string_view keys) {
  while (!keys.empty()) {
    const auto slash = keys.find('/');
    body = body[keys.substr(0, slash)];
    keys = slash == std::string_view::npos ? std::string_view() : keys.substr(slash + 1);
  }
  return body;
}

bool unknown_value(const std::string& v) { return v.empty() || v == "None" || v == "Unknown"; }

template <class Rows>
std::optional<NicWord> first_word(const Json& body, const Rows& rows) {
  for (const auto& row : rows) {
    const auto value = member(body, row.keys).string();
    if (!value || unknown_value(*value)) continue;
    const auto setting = std::string(row.where) + "=" + *value;
    if (*value == row.dedicated) return NicWord{false, setting};
    if (row.shared.empty() || *value == row.shared) return NicWord{true, setting};
  }
  return std::nullopt;
}

}  // namespace

std::optional<NicWord> interface_nic_word(const Json& body) {
  return first_word(body, kInterfaceRows);
}

std::optional<NicWord> attributes_nic_word(const Json& attribute_set) {
  return first_word(attribute_set, kAttributeRows);
}

}  // namespace bmcquiet::redfish
