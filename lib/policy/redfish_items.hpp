// Item backends over Redfish: a property read and PATCHed back with If-Match,
// virtual media ejected through the advertised EjectMedia targets, the power
// limit (legacy Power or a Power Control), and the SEL as a LogService (entries read, ClearLog with
// the parameters its ActionInfo asks for). Every path comes from @odata.id links found during
// discovery, never from guessed IDs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "policy/item.hpp"
#include "policy/sel_item.hpp"

namespace bmcquiet::redfish {
class Client;
}

namespace bmcquiet::policy {

using RedfishClient = std::shared_ptr<redfish::Client>;

struct PropertySpec {
  std::string path;                   // the resource
  std::vector<std::string> keys;      // JSON members down to the property
  std::string desired_json;           // e.g. false, "FullSpeed"
  std::string transport = "redfish";  // "redfish/oem:supermicro" for profile settings
};

std::shared_ptr<ItemBackend> make_redfish_property(RedfishClient client, PropertySpec spec);
std::shared_ptr<ItemBackend> make_redfish_media(RedfishClient client, std::string collection);
std::shared_ptr<ItemBackend> make_redfish_power_cap(RedfishClient client, std::string power_path,
                                                    double floor_watts);
// The Control resource with ControlType "Power" (Chassis/Controls).
std::shared_ptr<ItemBackend> make_redfish_power_control(RedfishClient client,
                                                        std::string control_path,
                                                        double floor_watts);
std::shared_ptr<SelSource> make_redfish_sel(RedfishClient client, std::string log_service);

// How a Redfish value reads in a table: true → "enabled", "x" → x, null → "none".
std::string describe_json_value(const std::string& json);

}  // namespace bmcquiet::policy
