// Item backends over Redfish: a property read and PATCHed back with If-Match,
// virtual media ejected through the advertised EjectMedia targets, the power
// limit (legacy Power or a Power Control, gated by a vendor's OEM enable
// switch), and the SEL as a LogService (entries read, ClearLog with the
// parameters its ActionInfo asks for). Every path comes from @odata.id links
// found during discovery, never from guessed IDs.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/item.hpp"
#include "policy/power_cap.hpp"
#include "policy/sel_item.hpp"

namespace bmcquiet::redfish {
class Client;
class Json;
}  // namespace bmcquiet::redfish

namespace bmcquiet::policy {

using RedfishClient = std::shared_ptr<redfish::Client>;

struct PropertySpec {
  std::string path;                   // the resource
  std::vector<std::string> keys;      // JSON members down to the property
  std::string desired_json;           // e.g. false, "FullSpeed"
  std::string transport = "redfish";  // "redfish/oem:supermicro" for profile settings
};

std::shared_ptr<ItemBackend> make_redfish_property(RedfishClient client, PropertySpec spec);

// One virtual media slot, under whichever Manager or System lists it.
struct MediaSlotRef {
  std::string label;  // unique: "manager/CD", "system/CD"
  std::string path;
};
// Every slot of every owner: observed together, every inserted one ejected.
std::shared_ptr<ItemBackend> make_redfish_media(RedfishClient client,
                                                std::vector<MediaSlotRef> slots);
// The legacy Power resource: the whole-chassis PowerControl member's PowerLimit.
// `vendor`: the range a vendor's OEM attributes allow (Dell PowerCapMin/MaxThres).
std::shared_ptr<ItemBackend> make_redfish_power_cap(RedfishClient client, std::string power_path,
                                                    double floor_watts, PowerRange vendor = {});
// The Control resource with ControlType "Power" (Chassis/Controls).
std::shared_ptr<ItemBackend> make_redfish_power_control(RedfishClient client,
                                                        std::string control_path,
                                                        double floor_watts, PowerRange vendor = {});
// Adds to the server's power_cap observation the per-device limits (GPUs, CPU
// modules) the collector last read, and the server chassis' other power
// controls (`server_others`): reported with what they limit, never written.
std::shared_ptr<ItemBackend> with_device_limits(RedfishClient client,
                                                std::shared_ptr<ItemBackend> server_cap,
                                                std::vector<std::string> server_others = {});
// A vendor's OEM switch that enables power capping (Dell ServerPwr.1.PowerCapSetting):
// while it holds quiet_json no cap is active whatever `standard` shows; when it
// is on, `standard` judges the limit. With no floor, act() turns the switch
// off; with a floor, `standard` raises the limit.
std::shared_ptr<ItemBackend> make_oem_gated_power_cap(RedfishClient client, PropertySpec gate,
                                                      std::string gate_where,
                                                      std::shared_ptr<ItemBackend> standard,
                                                      double floor_watts);

// A timeout property some BMCs add to HostWatchdogTimer (the standard has none).
struct WatchdogTimeout {
  std::string key;          // the member of HostWatchdogTimer
  double per_second = 1.0;  // its unit: 1 for seconds, 1000 for milliseconds
};
std::optional<WatchdogTimeout> watchdog_timeout_of(const redfish::Json& host_watchdog_timer);
// The watchdog with min_timeout > 0 where the System shows a timeout: raised
// to min_timeout, FunctionEnabled and TimeoutAction never touched.
std::shared_ptr<ItemBackend> make_redfish_watchdog_timeout(RedfishClient client,
                                                           std::string system_path,
                                                           WatchdogTimeout timeout,
                                                           std::chrono::seconds min_timeout);

// The SEL as the model found it, so fill() needs no discovery of its own.
struct SelLogSpec {
  std::string path, entries_path;
  std::optional<double> capacity;  // MaxNumberOfRecords when plausible
  bool top_skip = false;           // the service honours $top: count with ?$top=1
  // How old the collector's count of this log may be and still be used:
  // 2 x log_interval. Also how long the policy reuses its own count.
  std::chrono::milliseconds recent{std::chrono::minutes(10)};
  std::string capacity_problem = {};  // why discovery rejected MaxNumberOfRecords
};
// Reads the log service itself for capacity and the Entries link (no model).
std::shared_ptr<SelSource> make_redfish_sel(RedfishClient client, std::string log_service);
std::shared_ptr<SelSource> make_redfish_sel(RedfishClient client, SelLogSpec log);

// How a Redfish value reads in a table: true → "enabled", "x" → x, null → "none".
std::string describe_json_value(const std::string& json);

}  // namespace bmcquiet::policy
