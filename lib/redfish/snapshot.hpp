// What one poll observed on the BMC: the readers' output, for the collector's
// metrics and the policy engine's drift checks. std::nullopt = the BMC did not
// say (null or absent): never report it as 0.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace bmcquiet::redfish {

struct SensorReading {
  std::string chassis;  // chassis Id
  std::string name;     // sensor name as the BMC labels it
  double value = 0;
};

struct FanReading {
  std::string chassis;
  std::string name;
  std::optional<double> rpm;
  std::optional<double> ratio;  // 0..1 (Redfish percent / 100)
};

// One LogService: SEL fill without downloading entries.
struct LogFill {
  std::string id;            // "manager/Sel", "system/Log1"
  std::string path;          // the LogService resource
  std::string clear_target;  // advertised #LogService.ClearLog target, "" if none
  std::string entries_path;
  std::optional<double> entries;
  std::optional<double> capacity;  // MaxNumberOfRecords when plausible (1..65536)
  std::string capacity_problem;    // why a reported capacity was rejected
};

struct MediaSlot {
  std::string id;
  std::string path;
  std::optional<bool> inserted;
  std::optional<bool> connected;  // ConnectedVia other than NotConnected
  std::string eject_target;
};

struct PowerLimit {
  std::string path;             // resource to PATCH: the Power resource or the Control
  std::optional<double> watts;  // nullopt with `known` = no cap (LimitInWatts: null)
  std::optional<double> ratio;  // Controls with SetPointUnits "%"
  bool known = false;           // the BMC reported a limit field at all
};

struct Snapshot {
  bool up = false;
  std::string error;  // why up == false
  std::chrono::system_clock::time_point taken{};
  std::string data_model;  // "legacy", "subsystem" or "" (no thermal resources)

  // BMC identity (Manager), for vendor profiles.
  std::string manager_path, system_path;
  // vendor: Manager.Manufacturer, else ServiceRoot.Vendor, else the
  // ComputerSystem's Manufacturer, else the ServiceRoot's Oem key (real BMCs
  // rarely fill the Manager's).
  std::optional<std::string> vendor, model, firmware;
  std::optional<std::string> system_manufacturer;

  std::vector<SensorReading> temperatures;
  std::vector<FanReading> fans;
  std::optional<double> power_consumed_watts;
  PowerLimit power_limit;
  std::vector<LogFill> logs;
  std::vector<MediaSlot> media;

  std::optional<bool> serial_console_enabled;  // Manager.SerialConsole.ServiceEnabled
  std::optional<bool> ipmi_sol_enabled;        // ComputerSystem.SerialConsole.IPMI
  std::optional<bool> ipmi_enabled;            // ManagerNetworkProtocol.IPMI
  std::optional<bool> watchdog_enabled;        // ComputerSystem.HostWatchdogTimer
  std::optional<std::string> watchdog_action;

  unsigned requests = 0;  // HTTP requests this poll made
  double seconds = 0;     // wall time of the poll
};

}  // namespace bmcquiet::redfish
