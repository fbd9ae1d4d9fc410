// Lenovo XCC: the in-band IPMI (KCS) interface is switched by the Manager's
// own Oem.Lenovo.KCSEnabled. Firmware differs in its type (a boolean on most,
// "Enabled"/"Disabled" on some), so the quiet value follows the type the BMC
// shows: writing the other type is refused.
#include "redfish/oem.hpp"

namespace bmcquiet::redfish {
namespace {

class LenovoOem final : public VendorOem {
 public:
  std::string name() const override { return "lenovo"; }

  std::vector<std::string> resources(const Json& manager, const Json&) const override {
    if (!manager["Oem"]["Lenovo"].is_object()) return {};
    const auto self = manager["@odata.id"].string().value_or("");
    if (self.rfind("/redfish/v1/", 0) != 0) return {};  // only paths on this BMC
    return {self};
  }

  void read(const std::string&, const Json&, Snapshot&) const override {}

  const std::vector<OemSwitchRow>& table() const override {
    static const std::vector<OemSwitchRow> rows = {
        {"inband_ipmi", "Managers/{id}", "Oem/Lenovo/KCSEnabled", "false", R"("Disabled")",
         "Lenovo Manager Oem.Lenovo.KCSEnabled"}};
    return rows;
  }
};

}  // namespace

const VendorOem& lenovo_oem() {
  static const LenovoOem instance;
  return instance;
}

}  // namespace bmcquiet::redfish
