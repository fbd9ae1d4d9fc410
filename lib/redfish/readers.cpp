#include "redfish/readers.hpp"

#include <fmt/format.h>

namespace bmcquiet::redfish {
namespace {

std::string name_of(const Json& item, const std::string& fallback) {
  for (const char* key : {"Name", "FanName", "DeviceName", "MemberId", "Id"})
    if (auto v = item[key].string(); v && !v->empty()) return *v;
  return fallback;
}

std::string last_segment(const std::string& path) {
  auto p = path;
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p.substr(p.rfind('/') + 1);
}

void add_fan(Snapshot& s, FanReading f) {
  if (f.rpm || f.ratio) s.fans.push_back(std::move(f));
}

// The part of a log's path that says whose log it is: manager or system.
std::string log_id(const Json& service, const std::string& path) {
  const auto owner = path.find("/Managers/") != std::string::npos  ? "manager"
                     : path.find("/Systems/") != std::string::npos ? "system"
                                                                   : "other";
  return fmt::format("{}/{}", owner, service["Id"].string().value_or(last_segment(path)));
}

}  // namespace

void read_manager(const Json& m, Snapshot& s) {
  s.vendor = m["Manufacturer"].string();
  s.model = m["Model"].string();
  s.firmware = m["FirmwareVersion"].string();
  if (s.vendor && s.vendor->empty()) s.vendor.reset();
  if (s.model && s.model->empty()) s.model.reset();
  s.serial_console_enabled = m["SerialConsole"]["ServiceEnabled"].boolean();
}

void read_system(const Json& sys, Snapshot& s) {
  s.system_manufacturer = sys["Manufacturer"].string();
  const auto wd = sys["HostWatchdogTimer"];
  s.watchdog_enabled = wd["FunctionEnabled"].boolean();
  s.watchdog_action = wd["TimeoutAction"].string();
  s.ipmi_sol_enabled = sys["SerialConsole"]["IPMI"]["ServiceEnabled"].boolean();
}

void read_network_protocol(const Json& p, Snapshot& s) {
  s.ipmi_enabled = p["IPMI"]["ProtocolEnabled"].boolean();
}

void read_legacy_thermal(const Json& t, const ChassisContext& c, Snapshot& s) {
  const auto& chassis = c.id;
  const auto temps = t["Temperatures"];
  for (std::size_t i = 0; i < temps.size(); ++i) {
    const auto item = temps[i];
    if (auto v = item["ReadingCelsius"].number())
      s.temperatures.push_back({chassis, std::to_string(i), name_of(item, std::to_string(i)), *v});
  }
  const auto fans = t["Fans"];
  for (std::size_t i = 0; i < fans.size(); ++i) {
    const auto item = fans[i];
    FanReading f{chassis, std::to_string(i), name_of(item, std::to_string(i)), {}, {}};
    const auto units = item["ReadingUnits"].string().value_or("RPM");
    if (auto v = item["Reading"].number()) {
      if (units == "Percent") {
        f.ratio = *v / 100.0;
      } else {
        f.rpm = *v;
      }
    }
    if (auto v = item["ReadingRPM"].number()) f.rpm = *v;  // Thermal v1_0
    add_fan(s, std::move(f));
  }
}

void read_legacy_power(const Json& p, const std::string& path, const ChassisContext&, Snapshot& s) {
  const auto controls = p["PowerControl"];
  for (std::size_t i = 0; i < controls.size(); ++i) {
    const auto pc = controls[i];
    if (!s.power_consumed_watts) s.power_consumed_watts = pc["PowerConsumedWatts"].number();
    if (s.power_limit.known || !pc["PowerLimit"].contains("LimitInWatts")) continue;
    s.power_limit.known = true;  // LimitInWatts: null means "no cap", not "unknown"
    s.power_limit.watts = pc["PowerLimit"]["LimitInWatts"].number();
    s.power_limit.path = path;
  }
}

void read_sensors(const Json& coll, const ChassisContext& c, Snapshot& s) {
  const auto& chassis = c.id;
  const auto members = coll["Members"];
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto m = members[i];
    const auto type = m["ReadingType"].string().value_or("");
    const auto units = m["ReadingUnits"].string().value_or("");
    // The sensor's Id: the same label whether read expanded or via ThermalMetrics.
    const auto name = m["Id"].string().value_or(last_segment(m.link()));
    const auto reading = m["Reading"].number();
    const bool fan_context =
        m["PhysicalContext"].string().value_or("") == "Fan" || m.contains("SpeedRPM");
    if (type == "Temperature" || units == "Cel") {
      if (reading) s.temperatures.push_back({chassis, name, name, *reading});
    } else if (type == "Rotational" || units == "RPM") {
      add_fan(s, {chassis, name, name, reading, {}});
    } else if ((type == "Percent" || units == "%") && fan_context) {
      add_fan(s, {chassis, name, name, m["SpeedRPM"].number(),
                  reading ? std::optional(*reading / 100.0) : std::nullopt});
    }
  }
}

void read_thermal_metrics(const Json& t, const ChassisContext& c, Snapshot& s) {
  const auto& chassis = c.id;
  const auto temps = t["TemperatureReadingsCelsius"];
  for (std::size_t i = 0; i < temps.size(); ++i) {
    const auto item = temps[i];
    const auto source = item["DataSourceUri"].string().value_or("");
    if (auto v = item["Reading"].number(); v) {
      const auto id = source.empty() ? name_of(item, std::to_string(i)) : last_segment(source);
      s.temperatures.push_back({chassis, id, id, *v});
    }
  }
}

void read_fan(const Json& fan, const ChassisContext& c, Snapshot& s) {
  const auto& chassis = c.id;
  const auto speed = fan["SpeedPercent"];
  auto pct = speed["Reading"].number();
  add_fan(s, {chassis, last_segment(fan.link()), name_of(fan, last_segment(fan.link())),
              speed["SpeedRPM"].number(), pct ? std::optional(*pct / 100.0) : std::nullopt});
}

void read_environment(const Json& e, const ChassisContext&, Snapshot& s) {
  if (auto w = e["PowerWatts"]["Reading"].number()) s.power_consumed_watts = *w;
}

void read_control(const Json& c, const ChassisContext&, Snapshot& s) {
  if (c["ControlType"].string().value_or("") != "Power" || s.power_limit.known) return;
  s.power_limit.known = true;
  s.power_limit.path = c.link();
  const auto mode = c["ControlMode"].string().value_or("");
  if (mode == "Disabled") return;  // a disabled control caps nothing
  const auto units = c["SetPointUnits"].string().value_or("W");
  if (auto v = c["SetPoint"].number()) {
    if (units == "%") {
      s.power_limit.ratio = *v / 100.0;
    } else {
      s.power_limit.watts = *v;
    }
  }
}

void read_controls(const Json& coll, const ChassisContext& c, Snapshot& s) {
  const auto members = coll["Members"];
  for (std::size_t i = 0; i < members.size(); ++i) read_control(members[i], c, s);
}

MediaSlot read_media(const Json& m, const std::string& path, const std::string&) {
  MediaSlot slot;
  slot.path = path;
  slot.id = m["Id"].string().value_or(last_segment(path));
  slot.inserted = m["Inserted"].boolean();
  if (auto via = m["ConnectedVia"].string()) slot.connected = *via != "NotConnected";
  slot.eject_target = m["Actions"]["#VirtualMedia.EjectMedia"]["target"].string().value_or("");
  return slot;
}

LogFill read_log_service(const Json& svc, const std::string& path, const std::string&) {
  LogFill log;
  log.path = path;
  log.id = log_id(svc, path);
  log.entries_path = svc["Entries"].link();
  log.clear_target = svc["Actions"]["#LogService.ClearLog"]["target"].string().value_or("");
  if (auto cap = svc["MaxNumberOfRecords"].number()) {
    if (*cap >= 1 && *cap <= kMaxLogCapacity) {
      log.capacity = *cap;
    } else {
      log.capacity_problem =
          fmt::format("{}: MaxNumberOfRecords {} is not a plausible SEL capacity (1..{}); ignored",
                      path, *cap, kMaxLogCapacity);
    }
  }
  return log;
}

void read_sensor(const Json& sensor, const ChassisContext& c, Snapshot& s) {
  read_sensors(Json::parse(R"({"Members":[]})").value_or(Json()), c, s);
  (void)sensor;
}

void settle_power(Snapshot&) {}

std::optional<double> count_members(const Json& coll) {
  if (auto n = coll["Members@odata.count"].number()) return *n;
  if (coll["Members"].is_array()) return double(coll["Members"].size());
  return std::nullopt;
}

}  // namespace bmcquiet::redfish
