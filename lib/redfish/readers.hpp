// Readers: one Redfish resource body → fields of a Snapshot. Pure functions,
// so they run the same against the simulator, fixtures and real captures.
// null or absent → the field stays unset (the series stays absent); a sensor
// whose Status.State is Absent, Disabled or StandbyOffline gives no reading.
#pragma once

#include <optional>
#include <string>

#include "redfish/json.hpp"
#include "redfish/snapshot.hpp"

namespace bmcquiet::redfish {

// Plausible SEL capacities: IPMI record IDs are 16 bit.
inline constexpr double kMaxLogCapacity = 65536;

// Where a chassis-level reading comes from: the model decides the role and
// whether this chassis speaks for the whole server (never member order).
struct ChassisContext {
  std::string id;          // chassis Id (the label)
  std::string role;        // "server", "enclosure", "gpu", "cpu", "switch", "power_supply", ...
  bool is_server = false;  // its power / limit is the server's
};

void read_manager(const Json& manager, Snapshot& s);
void read_system(const Json& system, Snapshot& s);
void read_network_protocol(const Json& protocol, Snapshot& s);
// Deprecated model: Chassis/Thermal and Chassis/Power. Power goes to
// chassis_power (and device_limits) always, to the server's fields only when
// c.is_server.
void read_legacy_thermal(const Json& thermal, const ChassisContext& c, Snapshot& s);
void read_legacy_power(const Json& power, const std::string& path, const ChassisContext& c,
                       Snapshot& s);
// Newer model: a Sensors collection with members expanded (or one Sensor),
// ThermalMetrics, one Fan (ThermalSubsystem/Fans member), EnvironmentMetrics,
// a Controls collection (expanded) or one Control. Only sensors whose unit is
// Celsius are temperatures; discrete flags and margins are not.
void read_sensors(const Json& sensors, const ChassisContext& c, Snapshot& s);
void read_sensor(const Json& sensor, const ChassisContext& c, Snapshot& s);
void read_thermal_metrics(const Json& metrics, const ChassisContext& c, Snapshot& s);
void read_fan(const Json& fan, const ChassisContext& c, Snapshot& s);
void read_environment(const Json& metrics, const ChassisContext& c, Snapshot& s);
void read_controls(const Json& controls, const ChassisContext& c, Snapshot& s);
void read_control(const Json& control, const ChassisContext& c, Snapshot& s);
// One Sensor read on its own: is it a kind that gives a temperature or a
// fan reading (whatever its state now)? Others need not be read again.
bool temperature_or_fan(const Json& sensor);
// One PowerSupplyMetrics (PowerSubsystem/PowerSupplies/<n>/Metrics): its
// input (else output) watts add to the chassis' power_supply draw.
void read_power_supply_metrics(const Json& metrics, const ChassisContext& c, Snapshot& s);
// After every reader ran: the server's power from its own chassis, else the
// sum of the power supplies' input, never a device's.
void settle_power(Snapshot& s);

// owner: "manager" or "system" (which resource lists the slot / log).
MediaSlot read_media(const Json& media, const std::string& path, const std::string& owner);
// The log's identity, kind (sel, event, diagnostic, other), capacity (absurd
// values rejected) and entries link.
LogFill read_log_service(const Json& service, const std::string& path, const std::string& owner);
// Members@odata.count (when a plausible non-negative integer), else the
// number of members listed.
std::optional<double> count_members(const Json& collection);

}  // namespace bmcquiet::redfish
