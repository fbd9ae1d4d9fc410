// Readers: one Redfish resource body → fields of a Snapshot. Pure functions,
// so they run the same against the simulator, fixtures and real captures.
// null or absent → the field stays unset (the series stays absent).
#pragma once

#include <optional>
#include <string>

#include "redfish/json.hpp"
#include "redfish/snapshot.hpp"

namespace bmcquiet::redfish {

// Plausible SEL capacities: IPMI record IDs are 16 bit.
inline constexpr double kMaxLogCapacity = 65536;

void read_manager(const Json& manager, Snapshot& s);
void read_system(const Json& system, Snapshot& s);
void read_network_protocol(const Json& protocol, Snapshot& s);
// Deprecated model: Chassis/Thermal and Chassis/Power.
void read_legacy_thermal(const Json& thermal, const std::string& chassis, Snapshot& s);
void read_legacy_power(const Json& power, const std::string& path, Snapshot& s);
// Newer model: a Sensors collection with members expanded, ThermalMetrics,
// one Fan, EnvironmentMetrics, a Controls collection (expanded or not).
void read_sensors(const Json& sensors, const std::string& chassis, Snapshot& s);
void read_thermal_metrics(const Json& metrics, const std::string& chassis, Snapshot& s);
void read_fan(const Json& fan, const std::string& chassis, Snapshot& s);
void read_environment(const Json& metrics, Snapshot& s);
void read_controls(const Json& controls, Snapshot& s);
void read_control(const Json& control, Snapshot& s);

MediaSlot read_media(const Json& media, const std::string& path);
// The log's identity, capacity (absurd values rejected) and entries link.
LogFill read_log_service(const Json& service, const std::string& path);
// Members@odata.count, else the number of members listed.
std::optional<double> count_members(const Json& collection);

}  // namespace bmcquiet::redfish
