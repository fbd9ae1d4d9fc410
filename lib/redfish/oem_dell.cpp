// Dell iDRAC: the switches that decide are DellAttributes, the attribute sets
// the Manager links from Links.Oem.Dell.DellAttributes (iDRAC, System,
// LifecycleController). The standard properties do not follow them: an iDRAC9
// shows PowerLimit.LimitInWatts while ServerPwr.1.PowerCapSetting is
// Disabled, and an empty Manager.SerialConsole while SOL and serial
// redirection are Enabled.
#include <fmt/format.h>

#include "redfish/oem.hpp"
#include "redfish/oem_decide.hpp"

namespace bmcquiet::redfish {
namespace {

constexpr std::string_view kGroups[] = {"iDRAC.Embedded.1", "System.Embedded.1",
                                        "LifecycleController.Embedded.1"};

// One attribute of a DellAttributes group, whose quiet value is text.
OemSwitchRow attribute(const char* setting, const char* group, const char* name,
                       const char* quiet) {
  return {setting,
          fmt::format("DellAttributes {}", group),
          fmt::format("Attributes/{}", name),
          "",
          quiet,
          fmt::format("DellAttributes {{resource}} {}", name)};
}

// Dell's switches, one row each; read() decides the standard flags from the
// same attributes.
const std::vector<OemSwitchRow> kSwitches = {
    attribute("power_cap", "System.Embedded.1", "ServerPwr.1.PowerCapSetting", R"("Disabled")"),
    attribute("ipmi_sol", "iDRAC.Embedded.1", "IPMISOL.1.Enable", R"("Disabled")"),
    attribute("serial_console", "iDRAC.Embedded.1", "SerialRedirection.1.Enable", R"("Disabled")"),
    attribute("ipmi_lan", "iDRAC.Embedded.1", "IPMILan.1.Enable", R"("Disabled")"),
    attribute("kvm", "iDRAC.Embedded.1", "VirtualConsole.1.Enable", R"("Disabled")"),
    attribute("fans", "System.Embedded.1", "ThermalSettings.1.FanSpeedOffset", R"("Max")"),
    attribute("firmware_auto_update", "LifecycleController.Embedded.1", "LCAttributes.1.AutoUpdate",
              R"("Disabled")"),
};

std::string_view last_segment(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return path.substr(path.rfind('/') + 1);
}

// "Enabled" / "Disabled"; anything else is not a switch position we know.
std::optional<bool> switch_position(const Json& attributes, const char* name) {
  const auto v = attributes[name].string();
  if (v == "Enabled") return true;
  if (v == "Disabled") return false;
  return std::nullopt;
}

class DellOem final : public VendorOem {
 public:
  std::string name() const override { return "dell"; }

  std::vector<std::string> resources(const Json& manager, const Json&) const override {
    std::vector<std::string> out;
    const auto links = manager["Links"]["Oem"]["Dell"]["DellAttributes"];
    for (std::size_t i = 0; i < links.size(); ++i) {
      const auto link = links[i].link();
      if (link.rfind("/redfish/v1/", 0) != 0) continue;  // only paths on this BMC
      for (auto group : kGroups)
        if (last_segment(link) == group) out.push_back(link);
    }
    return out;
  }

  void read(const std::string& path, const Json& body, Snapshot& s) const override {
    const auto attributes = body["Attributes"];
    if (!attributes.is_object()) return;
    const auto source = [&](const char* attribute) {
      return fmt::format("DellAttributes {} {}", last_segment(path), attribute);
    };
    const struct {
      const char* setting;
      const char* attribute;
      std::optional<bool>& field;
    } flags[] = {{"ipmi_sol", "IPMISOL.1.Enable", s.ipmi_sol_enabled},
                 {"serial_console", "SerialRedirection.1.Enable", s.serial_console_enabled},
                 {"ipmi_lan", "IPMILan.1.Enable", s.ipmi_enabled}};
    for (const auto& f : flags)
      if (auto on = switch_position(attributes, f.attribute))
        decide_flag(s, f.field, f.setting, *on, source(f.attribute));
    read_power_cap(path, attributes, source("ServerPwr.1.PowerCapSetting"), s);
  }

  const std::vector<OemSwitchRow>& table() const override { return kSwitches; }

 private:
  static void read_power_cap(const std::string& path, const Json& attributes,
                             const std::string& source, Snapshot& s) {
    const auto on = switch_position(attributes, "ServerPwr.1.PowerCapSetting");
    if (!on) return;
    decide_power_cap(s, *on, attributes["ServerPwr.1.PowerCapValue"].number(), source, path);
    auto& l = s.power_limit;
    if (!l.allowable_max) l.allowable_max = attributes["ServerPwr.1.PowerCapMaxThres"].number();
    if (!l.allowable_min) l.allowable_min = attributes["ServerPwr.1.PowerCapMinThres"].number();
  }
};

}  // namespace

const VendorOem& dell_oem() {
  static const DellOem instance;
  return instance;
}

}  // namespace bmcquiet::redfish
