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

  std::vector<OemSwitch> switches(const std::string& path, const Json& body) const override {
    const auto kcs = body["Oem"]["Lenovo"]["KCSEnabled"];
    // The quiet value is the policy profile table's (policy/profiles.cpp).
    const char* quiet = kcs.is_bool() ? "false" : kcs.is_string() ? R"("Disabled")" : nullptr;
    if (!quiet) return {};
    return {{"inband_ipmi",
             path,
             {"Oem", "Lenovo", "KCSEnabled"},
             quiet,
             "Lenovo Manager Oem.Lenovo.KCSEnabled"}};
  }
};

}  // namespace

const VendorOem& lenovo_oem() {
  static const LenovoOem instance;
  return instance;
}

}  // namespace bmcquiet::redfish
