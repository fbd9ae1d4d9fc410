// What one poll observed on the BMC: the readers' output, for the collector's
// metrics and the policy engine's drift checks. std::nullopt = the BMC did not
// say (null, absent, or the sensor is Absent/Disabled): never report it as 0.
//
// Every reading carries the chassis it came from. Which chassis speaks for
// the whole server is decided by the model (model.hpp), from ChassisType and
// Links, never from member order: per-chassis and per-device power and limits
// are kept apart from the server's.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/problem.hpp"

namespace bmcquiet::redfish {

struct SensorReading {
  std::string chassis;  // chassis Id
  std::string id;       // stable: the sensor's Id (or its link's last segment / array index)
  std::string name;     // the sensor's Name as the BMC labels it ("CPU1 Temp"); id when unnamed
  double value = 0;
};

struct FanReading {
  std::string chassis;
  std::string id;
  std::string name;
  std::optional<double> rpm;
  std::optional<double> ratio;  // 0..1 (Redfish percent / 100)
};

// Power drawn by one chassis or device (a GPU, a CPU module, a PSU, a zone):
// never the server's total unless the model says this chassis is the server.
struct ChassisPower {
  std::string chassis;
  std::string role;  // the chassis' role in the model ("server", "gpu", "power_supply", ...)
  double watts = 0;
};

// A power limit that applies to one device or chassis, not to the server.
struct DeviceLimit {
  std::string chassis;
  std::string role;
  std::string path;  // the Control (or Power) resource
  std::optional<double> watts;
  bool enabled = true;
};

// One LogService: fill without downloading entries on the poll path.
struct LogFill {
  std::string id;    // unique label: "manager/Sel", "system/Log1"
  std::string kind;  // "sel", "event", "diagnostic", "other" (LogEntryType/Id/Name)
  std::string path;  // the LogService resource
  std::string entries_path;
  std::optional<double> entries;   // counted on log_interval, even without a capacity
  std::optional<double> capacity;  // MaxNumberOfRecords when plausible (1..65536)
  std::string capacity_problem;    // why a reported capacity was rejected
};

struct MediaSlot {
  std::string id;  // unique label: "manager/CD", "system/CD" (owner kind + Id)
  std::string path;
  std::optional<bool> inserted;
  std::optional<bool> connected;  // ConnectedVia other than NotConnected
};

struct PowerLimit {
  std::string path;             // resource to PATCH: the Power resource or the Control
  std::optional<double> watts;  // nullopt with `known` = no cap (LimitInWatts: null)
  std::optional<double> ratio;  // Controls with SetPointUnits "%"
  std::optional<double> allowable_max, allowable_min;  // AllowableMax/Min when reported
  bool known = false;                                  // the BMC reported a limit field at all
  // Set when the vendor's switch says capping is off although the standard
  // property shows a limit (Dell ServerPwr.1.PowerCapSetting: Disabled):
  // `watts` is then cleared, the number the BMC shows is kept here.
  std::optional<double> inactive_watts;
};

// A setting where the vendor's OEM switch decides and the standard property
// disagrees with it: the OEM value wins, and the disagreement is shown.
struct OemDisagreement {
  std::string setting;   // "power_cap", "ipmi_sol", "serial_console", "ipmi_lan"
  std::string standard;  // what the standard property said ("1205 W", "disabled", "absent")
  std::string oem;       // what the vendor switch says ("Disabled", "Enabled")
  std::string source;    // "DellAttributes iDRAC.Embedded.1 IPMISOL.1.Enable"
};

struct Snapshot {
  // up: the BMC answered this poll (at least one resource read, no transport
  // or authentication failure). complete: every planned read succeeded.
  // Readings that arrived are present even when up is false or complete is false.
  bool up = false;
  bool complete = false;
  std::string error;  // the first problem of this poll, "" when complete
  ProblemKind error_kind = ProblemKind::unknown;
  std::chrono::system_clock::time_point taken{};
  std::string data_model;  // "legacy", "subsystem", "mixed" or "" (no thermal resources)

  // BMC identity, for vendor profiles.
  std::string manager_path, system_path;  // the ones the model chose (ManagerProvidingService...)
  // vendor: Manager.Manufacturer, else ServiceRoot.Vendor, else the
  // ComputerSystem's Manufacturer, else the ServiceRoot's Oem key (real BMCs
  // rarely fill the Manager's).
  std::optional<std::string> vendor, model, firmware;
  std::optional<std::string> system_manufacturer;
  std::string vendor_profile;  // "dell", "supermicro", ... or "" (no OEM profile applies)

  std::vector<SensorReading> temperatures;
  std::vector<FanReading> fans;
  std::optional<double> power_consumed_watts;  // the whole server only
  std::string power_consumed_source;           // how: "psu_input", "chassis:<id>", ...
  std::vector<ChassisPower> chassis_power;     // per chassis/device, incl. the server's chassis
  PowerLimit power_limit;                      // the server's
  std::vector<DeviceLimit> device_limits;      // per-device limits (GPUs, CPU modules)
  std::vector<LogFill> logs;
  std::vector<MediaSlot> media;

  // Effective values: the vendor's OEM switch where a profile knows one,
  // else the standard property.
  std::optional<bool> serial_console_enabled;  // Manager.SerialConsole / Dell SerialRedirection
  std::optional<bool> ipmi_sol_enabled;        // ComputerSystem.SerialConsole.IPMI / Dell IPMISOL
  std::optional<bool> ipmi_enabled;            // ManagerNetworkProtocol.IPMI / Dell IPMILan
  std::optional<bool> watchdog_enabled;        // ComputerSystem.HostWatchdogTimer
  std::optional<std::string> watchdog_action;  // its TimeoutAction (None: no reset)
  std::vector<OemDisagreement> disagreements;
  // Every setting a vendor switch decided this poll, agreeing or not: a
  // standard reader that runs after the vendor's leaves these values alone
  // (and records the disagreement), so the order of the reads does not matter.
  std::vector<OemDisagreement> oem_decisions;

  unsigned chassis_total = 0;  // chassis the model knows
  unsigned chassis_read = 0;   // chassis with readings read this poll
  unsigned requests = 0;       // HTTP requests this poll made
  double seconds = 0;          // wall time of the poll
};

}  // namespace bmcquiet::redfish
