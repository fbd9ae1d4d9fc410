#pragma once

#include <memory>
#include <optional>
#include <string>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"
#include "ipmi/sdr.hpp"
#include "metrics/metrics.hpp"

namespace bmcquiet {

// Threshold sensors from the BMC's SDR repository over bmc.ipmi (lanplus; in-band only
// with collectors.ipmi_sensors.inband: every in-band request may raise an SMI; beside
// bmc.redfish only with with_redfish: the Redfish collector exports the same series), on the
// Redfish side's metric names and labels so the same dashboards and alerts serve both:
//   chassis  the sensor's entity, "<entity>.<instance>" (system_board.1, processor.2):
//            where the sensor sits, as Redfish's chassis is
//   sensor   (fan for fans) the SDR's ID string, as the BMC names it
//   id       "<owner>:<lun>:<number>" (0x20:0:3): unique within the BMC
// The repository is read once and kept; a collection costs Get SDR Repository Info plus
// one Get Sensor Reading per exported sensor.
std::unique_ptr<Collector> make_ipmi_sensors_collector(const CollectorEnv& env,
                                                       ConfigSection& section);

// How many exported-kind sensors are read, unavailable, unsupported (by `state`).
inline constexpr const char* kIpmiSensors = "bmcquiet_ipmi_sensors";
inline constexpr const char* kIpmiSensorsHelp =
    "IPMI threshold sensors bmcquiet exports, by state: read (a value this collection), "
    "unavailable (the BMC has no reading: scanning disabled, reading unavailable, not present), "
    "unsupported (OEM conversion, owned by another controller)";

// The series one threshold sensor's converted reading becomes; nullopt for discrete
// sensors and units bmcquiet does not export.
struct IpmiSensorSeries {
  const char* metric;
  const char* help;
  Labels labels;
  double value;
};
// Threshold sensors in a unit exported above (what the collector reads).
bool ipmi_sensor_exported(const ipmi::sdr::SensorRecord& s);
// Why an exported sensor cannot be read here ("" when it can): another owner
// or LUN (bridging), no analog format, OEM non-linear or reserved conversion.
std::string ipmi_sensor_unsupported(const ipmi::sdr::SensorRecord& s);
std::optional<IpmiSensorSeries> ipmi_sensor_series(const ipmi::sdr::SensorRecord& s, double value);

}  // namespace bmcquiet
