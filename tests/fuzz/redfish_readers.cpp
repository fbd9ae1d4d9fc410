// One Redfish body, as any BMC may send it, through every reader of
// lib/redfish (the readers run on whatever resource a link names, so each
// must cope with any JSON) and the Json view's own accessors.
#include "fuzz_common.hpp"
#include "redfish/discovery.hpp"
#include "redfish/json.hpp"
#include "redfish/model.hpp"
#include "redfish/readers.hpp"
#include "redfish/snapshot.hpp"

using namespace bmcquiet::redfish;

namespace {

void walk(const Json& v, int depth) {
  if (depth > 8) return;
  (void)v.string(), (void)v.number(), (void)v.boolean(), (void)v.link();
  if (v.is_object())
    for (const auto& k : v.keys()) walk(v[k], depth + 1);
  else if (v.is_array())
    for (std::size_t i = 0; i < v.size() && i < 64; ++i) walk(v[i], depth + 1);
}

void read_all(const Json& body, const ChassisContext& c) {
  Snapshot s;
  read_manager(body, s);
  read_system(body, s);
  read_network_protocol(body, s);
  read_legacy_thermal(body, c, s);
  read_legacy_power(body, "/redfish/v1/Chassis/1/Power", c, s);
  read_sensors(body, c, s);
  read_sensor(body, c, s);
  read_thermal_metrics(body, c, s);
  read_fan(body, c, s);
  read_environment(body, c, s);
  read_controls(body, c, s);
  read_control(body, c, s);
  read_power_supply_metrics(body, c, s);
  settle_power(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  std::string error;
  auto body = Json::parse(bmcquiet::fuzz::text(data, size), &error);
  if (!body) return 0;
  walk(*body, 0);
  (void)body->dump();
  read_all(*body, {"1", "server", true});
  read_all(*body, {"GPU_0", "gpu", false});
  (void)temperature_or_fan(*body);
  (void)read_media(*body, "/redfish/v1/Managers/1/VirtualMedia/CD", "manager");
  (void)read_log_service(*body, "/redfish/v1/Managers/1/LogServices/SEL", "manager");
  (void)count_members(*body);
  ChassisModel chassis;
  take_sensor_list(chassis, *body);
  take_sensor_list(chassis, *body);  // the second read compares with the first
  return 0;
}
