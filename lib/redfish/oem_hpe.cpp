// HPE iLO 5/6: the in-band IPMI (KCS) interface is switched by
// ManagerNetworkProtocol Oem.Hpe.KcsEnabled (HPE's iLO Redfish reference
// documents the PATCH on /redfish/v1/Managers/1/NetworkProtocol). No
// standard property shows it, so reading it changes no snapshot value.
#include "redfish/oem.hpp"

namespace bmcquiet::redfish {
namespace {

class HpeOem final : public VendorOem {
 public:
  std::string name() const override { return "hpe"; }

  std::vector<std::string> resources(const Json& manager, const Json&) const override {
    if (!manager["Oem"]["Hpe"].is_object()) return {};
    const auto link = manager["NetworkProtocol"].link();
    if (link.rfind("/redfish/v1/", 0) != 0) return {};  // only paths on this BMC
    return {link};
  }

  void read(const std::string&, const Json&, Snapshot&) const override {}

  const std::vector<OemSwitchRow>& table() const override {
    static const std::vector<OemSwitchRow> rows = {{"inband_ipmi", "Managers/{id}/NetworkProtocol",
                                                    "Oem/Hpe/KcsEnabled", "false", "",
                                                    "HPE NetworkProtocol Oem.Hpe.KcsEnabled"}};
    return rows;
  }
};

}  // namespace

const VendorOem& hpe_oem() {
  static const HpeOem instance;
  return instance;
}

}  // namespace bmcquiet::redfish
