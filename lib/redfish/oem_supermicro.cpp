// Supermicro: the fan mode is only an OEM resource (Manager
// Oem.Supermicro.FanMode, "Mode" among Mode@Redfish.AllowableValues); there
// is no standard property for it to contradict, so reading it changes no
// snapshot value. The standard SerialConsole and IPMI properties are the
// switches on these BMCs.
#include "redfish/oem.hpp"

namespace bmcquiet::redfish {
namespace {

class SupermicroOem final : public VendorOem {
 public:
  std::string name() const override { return "supermicro"; }

  std::vector<std::string> resources(const Json& manager, const Json&) const override {
    const auto link = manager["Oem"]["Supermicro"]["FanMode"].link();
    if (link.rfind("/redfish/v1/", 0) != 0) return {};  // only paths on this BMC
    return {link};
  }

  void read(const std::string&, const Json&, Snapshot&) const override {}

  std::vector<OemSwitch> switches(const std::string& path, const Json& body) const override {
    if (!body["Mode"].is_string()) return {};
    // The quiet value is the policy profile table's (policy/profiles.cpp).
    return {{"fans", path, {"Mode"}, R"("FullSpeed")", "Supermicro FanMode Mode"}};
  }
};

}  // namespace

const VendorOem& supermicro_oem() {
  static const SupermicroOem instance;
  return instance;
}

}  // namespace bmcquiet::redfish
