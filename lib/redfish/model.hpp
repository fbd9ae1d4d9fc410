// The model of one BMC over Redfish: what discovery found by following links
// from the service root (never guessed IDs, never member order), shared by
// the collector (readings) and the policy (settings and their write targets).
// Discovery runs once, incrementally across polls, and is kept across failed
// polls; only a 404 on a known resource, a BMC reboot or an explicit reload
// start it again.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "redfish/json.hpp"

namespace bmcquiet::redfish {

class VendorOem;

struct ChassisModel {
  std::string id, path, name;
  std::string type;  // ChassisType ("RackMount", "Module", "Component", "Zone", ...)
  // What this chassis is, from ChassisType, Links and the properties present:
  // "server" (exactly one, the whole server), "enclosure", "gpu", "cpu",
  // "switch", "power_supply", "zone", "storage", "component", "other".
  std::string role;
  std::vector<std::string> contained_by, contains, computer_systems, managed_by;
  // Links to what can be read (empty when absent).
  std::string thermal, power;                             // deprecated model
  std::string thermal_subsystem, thermal_metrics, fans;   // ThermalSubsystem
  std::string power_subsystem, power_supplies;            // PowerSubsystem
  std::string sensors, controls, environment;             // Sensors / Controls / EnvironmentMetrics
  std::vector<std::string> fan_members, control_members;  // when $expand is not available
  // PowerSubsystem PSUs' Metrics: read every poll only where neither
  // EnvironmentMetrics nor the deprecated Power gives the chassis' draw.
  std::vector<std::string> supply_metrics;
  // Without $expand and without ThermalMetrics, the Sensors collection is
  // read member by member: `sensor_list` is the collection as last read (on
  // the slow schedule), `sensor_members` what every poll reads — those that
  // are (or may be) temperatures or fans; one that turns out to be neither
  // is dropped until the list changes.
  std::vector<std::string> sensor_list, sensor_members;
  bool sensors_one_by_one = false;
  bool subsystem = false;  // read with the newer model
  // After the first look: false when the chassis has nothing to read (ERoTs,
  // CPLDs, backplanes): skipped by later polls.
  bool has_readings = true;

  // The deprecated Power resource is read for the draw or the cap the newer
  // resources lack (iDRAC has no EnvironmentMetrics and no Controls).
  bool reads_legacy_power() const {
    return !power.empty() && (environment.empty() || controls.empty());
  }
};

struct ManagerModel {
  std::string id, path;
  bool providing_service = false;  // ServiceRoot Links.ManagerProvidingService
  std::string network_protocol, log_services, virtual_media;
};

struct SystemModel {
  std::string id, path;
  std::string log_services, virtual_media;
};

struct LogModel {
  std::string id;     // unique label "manager/Sel", "system/Log1"
  std::string kind;   // "sel", "event", "diagnostic", "other"
  std::string owner;  // "manager" or "system"
  std::string path, entries_path;
  std::optional<double> capacity;
  std::string capacity_problem;
};

struct MediaModel {
  std::string id;  // unique label "manager/CD", "system/CD"
  std::string owner, path;
};

struct Model {
  // Service features, from ServiceRoot.ProtocolFeaturesSupported (and learnt:
  // a 400/501 on $top turns top_skip off).
  bool expand = false, top_skip = false;
  std::optional<std::string> root_vendor, root_oem;  // identity fallbacks

  std::vector<ManagerModel> managers;  // the providing one first
  std::vector<SystemModel> systems;
  std::vector<ChassisModel> chassis;  // sorted by path: stable whatever the member order
  std::vector<LogModel> logs;
  std::vector<MediaModel> media;

  // Bodies read during discovery, by @odata.id, for the policy and the
  // vendor readers (the Manager, System and the ServiceRoot at least).
  std::map<std::string, Json> bodies;

  const VendorOem* vendor = nullptr;       // the OEM switches this BMC advertises
  std::vector<std::string> oem_resources;  // what that vendor's reader reads

  bool complete = false;  // every stage done; otherwise published as far as it got
  unsigned requests = 0;  // requests discovery has made so far

  const ManagerModel* manager() const { return managers.empty() ? nullptr : &managers.front(); }
  const SystemModel* system() const { return systems.empty() ? nullptr : &systems.front(); }
  const ChassisModel* server_chassis() const {
    for (const auto& c : chassis)
      if (c.role == "server") return &c;
    return nullptr;
  }
  const LogModel* sel() const {  // the SEL: the manager's first, else the system's
    for (const char* owner : {"manager", "system"})
      for (const auto& l : logs)
        if (l.kind == "sel" && l.owner == owner) return &l;
    return nullptr;
  }
};

}  // namespace bmcquiet::redfish
