// Supermicro: the fan mode is only an OEM resource (Manager
// Oem.Supermicro.FanMode, "Mode" among Mode@Redfish.AllowableValues); there
// is no standard property for it to contradict, so reading it changes no
// snapshot value. The standard SerialConsole and IPMI properties are the
// switches on these BMCs. The in-band IPMI (KCS) interface has no off
// switch: Oem.Supermicro.KCSInterface "Privilege" restricts what host software
// may do through it, Callback being the least.
#include "redfish/oem.hpp"

namespace bmcquiet::redfish {
namespace {

class SupermicroOem final : public VendorOem {
 public:
  std::string name() const override { return "supermicro"; }

  std::vector<std::string> resources(const Json& manager, const Json&) const override {
    std::vector<std::string> out;
    for (const char* name : {"FanMode", "KCSInterface"}) {
      const auto link = manager["Oem"]["Supermicro"][name].link();
      if (link.rfind("/redfish/v1/", 0) == 0) out.push_back(link);  // only paths on this BMC
    }
    return out;
  }

  void read(const std::string&, const Json&, Snapshot&) const override {}

  const std::vector<OemSwitchRow>& table() const override {
    static const std::vector<OemSwitchRow> rows = {
        {"fans", "Managers/{id}/Oem/Supermicro/FanMode", "Mode", "", R"("FullSpeed")",
         "Supermicro FanMode Mode"},
        // No off switch for KCS: its lowest privilege is the quietest state.
        {"inband_ipmi", "Managers/{id}/Oem/Supermicro/KCSInterface", "Privilege", "",
         R"("Callback")", "Supermicro KCSInterface Privilege"}};
    return rows;
  }
};

}  // namespace

const VendorOem& supermicro_oem() {
  static const SupermicroOem instance;
  return instance;
}

}  // namespace bmcquiet::redfish
