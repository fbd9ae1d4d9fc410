#include "redfish/readers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "redfish/oem_decide.hpp"

namespace bmcquiet::redfish {
namespace {

// Plausible sizes of anything else a BMC counts: beyond this a count or a
// capacity is a firmware bug, not a number to export.
constexpr double kMaxCount = 1e7;

std::string last_segment(const std::string& path) {
  auto p = path;
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p.substr(p.rfind('/') + 1);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& ch : out) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

bool contains(const std::string& lowered, std::string_view word) {
  return lowered.find(word) != std::string::npos;
}

// Between text[i-1] and text[i] a word starts or ends: at either end, next to
// anything not a letter or digit, and at a camel-case step ("IpmiSel", "FaultList").
bool boundary(std::string_view text, std::size_t i) {
  if (i == 0 || i >= text.size()) return true;
  const auto before = static_cast<unsigned char>(text[i - 1]);
  const auto after = static_cast<unsigned char>(text[i]);
  return !std::isalnum(before) || !std::isalnum(after) ||
         (std::islower(before) && std::isupper(after));
}

// `word` (lower case) as a word of text, or only as a word's start: "sel" in
// "SEL Log Service", not in "Self"; "fault" in "FaultList", not in "Default".
bool has_word(std::string_view text, std::string_view word, bool whole = true) {
  const auto lowered = lower(text);
  for (auto at = lowered.find(word); at != std::string::npos; at = lowered.find(word, at + 1))
    if (boundary(text, at) && (!whole || boundary(text, at + word.size()))) return true;
  return false;
}

std::string text_or(const Json& item, std::initializer_list<const char*> keys,
                    const std::string& fallback) {
  for (const char* key : keys)
    if (auto v = item[key].string(); v && !v->empty()) return *v;
  return fallback;
}

// Nothing to read in these states (DMTF Resource.State): not installed,
// switched off, or powered down with the host. Health alone says nothing.
bool not_present(const Json& item) {
  const auto state = item["Status"]["State"].string().value_or("");
  return state == "Absent" || state == "Disabled" || state == "StandbyOffline" ||
         state == "UnavailableOffline";
}

// A thermal margin (degrees left below a limit, negative on Intel DTS
// sensors) is not a temperature, however the BMC types it.
bool is_margin(const std::string& id, const std::string& name, double value) {
  return value < 0 || contains(lower(id), "margin") || contains(lower(name), "margin");
}

void add_temperature(Snapshot& s, const ChassisContext& c, const std::string& id,
                     const std::string& name, double value) {
  if (is_margin(id, name, value)) return;
  s.temperatures.push_back({c.id, id, name.empty() ? id : name, value});
}

void add_fan(Snapshot& s, FanReading f) {
  if (f.rpm || f.ratio) s.fans.push_back(std::move(f));
}

std::optional<double> percent_to_ratio(std::optional<double> pct) {
  return pct ? std::optional(*pct / 100.0) : std::nullopt;
}

// Percent sensors are also CPU load, battery health, humidity: only a fan's
// speed is a fan reading.
bool is_fan_sensor(const Json& m, const std::string& id, const std::string& name) {
  return m["PhysicalContext"].string().value_or("") == "Fan" || m.contains("SpeedRPM") ||
         contains(lower(id), "fan") || contains(lower(name), "fan");
}

std::string owner_of(const std::string& owner, const std::string& path) {
  if (!owner.empty()) return owner;
  for (const auto* kind : {"Managers", "Systems", "Chassis"})
    if (path.find(fmt::format("/{}/", kind)) != std::string::npos)
      return kind == std::string_view("Managers")  ? "manager"
             : kind == std::string_view("Systems") ? "system"
                                                   : "chassis";
  return "other";
}

// Which log this is, from what the service says about itself. A log named for
// faults or diagnostics is not the SEL even when its entries use the SEL
// format (iDRAC's FaultList has LogEntryType SEL); a "Health/Maintenance
// Event Log" is the SEL only when its LogEntryType says so. HPE's IML and
// security log are neither: "other".
std::string log_kind(const Json& svc, const std::string& path) {
  const auto id = svc["Id"].string().value_or(last_segment(path));
  const auto name = svc["Name"].string().value_or("");
  const auto type = svc["LogEntryType"].string().value_or("");
  const auto word = [&](std::string_view w, bool whole = true) {
    return has_word(id, w, whole) || has_word(name, w, whole);
  };
  if (word("diag", false) || word("crashdump", false) || word("fault", false) ||
      word("dump", false) || svc["Actions"].contains("#LogService.CollectDiagnosticData"))
    return "diagnostic";
  if (type == "SEL" || word("sel") || contains(lower(name), "system event log")) return "sel";
  if (type == "Event" || word("event")) return "event";
  return "other";
}

std::string role_of(const ChassisContext& c) {
  if (!c.role.empty()) return c.role;
  return c.is_server ? "server" : "other";
}

// One draw per chassis and role: the first reading of it wins.
bool add_chassis_power(Snapshot& s, const std::string& chassis, const std::string& role,
                       double watts) {
  for (const auto& p : s.chassis_power)
    if (p.chassis == chassis && p.role == role) return false;
  s.chassis_power.push_back({chassis, role, watts});
  return true;
}

// It is the server's draw only when the model says this chassis is the whole server.
void chassis_reading(Snapshot& s, const ChassisContext& c, double watts) {
  if (add_chassis_power(s, c.id, role_of(c), watts) && c.is_server && !s.power_consumed_watts) {
    s.power_consumed_watts = watts;
    s.power_consumed_source = "chassis:" + c.id;
  }
}

// A PowerControl / Control that covers the whole chassis rather than one
// CPU, GPU or memory domain inside it.
bool whole_chassis(const Json& control) {
  const auto context = control["PhysicalContext"].string().value_or("");
  return context.empty() || context == "Chassis" || context == "SystemBoard";
}

bool is_watts(const std::string& units) {
  const auto u = lower(units);
  return u == "w" || u == "watt" || u == "watts";
}

// One limit per device chassis; several on one chassis: the lowest path, so
// the member order of a Controls collection does not choose it.
void device_limit(Snapshot& s, DeviceLimit limit) {
  for (auto& d : s.device_limits) {
    if (d.chassis != limit.chassis || d.role != limit.role) continue;
    if (limit.path < d.path) d = std::move(limit);
    return;
  }
  s.device_limits.push_back(std::move(limit));
}

// A limit found on a chassis: the server's (only a whole-chassis limit of the
// server chassis), a device's, or nobody's (a component limit inside the
// server chassis is not the server's).
void chassis_limit(Snapshot& s, const ChassisContext& c, const PowerLimit& l, bool whole,
                   bool enabled) {
  if (c.is_server) {
    if (whole) standard_power_limit(s, l);
    return;
  }
  device_limit(s, {c.id, role_of(c), l.path, l.watts, enabled});
}

// Control, or the Control excerpt in EnvironmentMetrics.PowerLimitWatts.
void read_power_control(const Json& control, const std::string& units, const std::string& path,
                        const ChassisContext& c, Snapshot& s) {
  PowerLimit l;
  l.known = true;
  l.path = path;
  l.allowable_max = control["AllowableMax"].number();
  l.allowable_min = control["AllowableMin"].number();
  // A disabled control caps nothing, whatever its SetPoint says.
  const bool enabled = control["ControlMode"].string().value_or("") != "Disabled";
  if (auto v = control["SetPoint"].number(); v && enabled) {
    if (is_watts(units)) l.watts = *v;
    if (units == "%") l.ratio = *v / 100.0;
  }
  chassis_limit(s, c, l, whole_chassis(control), enabled);
}

// Legacy PowerSupplies: what the supplies draw from the wall. Input where the
// BMC measures it, else the output (DMTF LastPowerOutputWatts), a little low.
void read_power_supplies(const Json& supplies, const ChassisContext& c, Snapshot& s) {
  std::optional<double> sum;
  for (std::size_t i = 0; i < supplies.size(); ++i) {
    const auto psu = supplies[i];
    if (not_present(psu)) continue;
    auto w = psu["PowerInputWatts"].number();
    if (!w) w = psu["LastPowerOutputWatts"].number();
    if (w) sum = sum.value_or(0) + *w;
  }
  if (sum) add_chassis_power(s, c.id, "power_supply", *sum);
}

}  // namespace

void read_manager(const Json& m, Snapshot& s) {
  s.vendor = m["Manufacturer"].string();
  s.model = m["Model"].string();
  s.firmware = m["FirmwareVersion"].string();
  if (s.vendor && s.vendor->empty()) s.vendor.reset();
  if (s.model && s.model->empty()) s.model.reset();
  standard_flag(s, s.serial_console_enabled, "serial_console",
                m["SerialConsole"]["ServiceEnabled"].boolean());
}

void read_system(const Json& sys, Snapshot& s) {
  s.system_manufacturer = sys["Manufacturer"].string();
  const auto wd = sys["HostWatchdogTimer"];
  s.watchdog_enabled = wd["FunctionEnabled"].boolean();
  s.watchdog_action = wd["TimeoutAction"].string();
  standard_flag(s, s.ipmi_sol_enabled, "ipmi_sol",
                sys["SerialConsole"]["IPMI"]["ServiceEnabled"].boolean());
}

void read_network_protocol(const Json& p, Snapshot& s) {
  standard_flag(s, s.ipmi_enabled, "ipmi_lan", p["IPMI"]["ProtocolEnabled"].boolean());
}

void read_legacy_thermal(const Json& t, const ChassisContext& c, Snapshot& s) {
  const auto temps = t["Temperatures"];
  for (std::size_t i = 0; i < temps.size(); ++i) {
    const auto item = temps[i];
    const auto id = text_or(item, {"MemberId"}, std::to_string(i));
    if (auto v = item["ReadingCelsius"].number(); v && !not_present(item))
      add_temperature(s, c, id, text_or(item, {"Name"}, id), *v);
  }
  const auto fans = t["Fans"];
  for (std::size_t i = 0; i < fans.size(); ++i) {
    const auto item = fans[i];
    if (not_present(item)) continue;
    const auto id = text_or(item, {"MemberId"}, std::to_string(i));
    FanReading f{c.id, id, text_or(item, {"Name", "FanName"}, id), {}, {}};
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

namespace {

enum class SensorKind { none, celsius_v1_0, temperature, fan_rpm, fan_percent };

// The Id: the same label whether read expanded, one by one or via ThermalMetrics.
std::string sensor_id(const Json& m) { return text_or(m, {"Id"}, last_segment(m.link())); }

SensorKind sensor_kind(const Json& m) {
  const auto type = m["ReadingType"].string().value_or("");
  const auto units = m["ReadingUnits"].string().value_or("");
  const auto id = sensor_id(m);
  if (m.contains("ReadingCelsius") && !m.contains("Reading")) return SensorKind::celsius_v1_0;
  // ReadingType Temperature without a unit is a discrete over-temperature
  // flag (0/1), not degrees.
  if (units == "Cel") return SensorKind::temperature;
  if (type == "Rotational" || units == "RPM") return SensorKind::fan_rpm;
  if ((type == "Percent" || units == "%") && is_fan_sensor(m, id, text_or(m, {"Name"}, id)))
    return SensorKind::fan_percent;
  return SensorKind::none;
}

}  // namespace

bool temperature_or_fan(const Json& sensor) { return sensor_kind(sensor) != SensorKind::none; }

void read_sensor(const Json& m, const ChassisContext& c, Snapshot& s) {
  if (not_present(m)) return;
  const auto id = sensor_id(m);
  const auto name = text_or(m, {"Name"}, id);
  const auto reading = m["Reading"].number();
  switch (sensor_kind(m)) {
    case SensorKind::celsius_v1_0:
      if (auto celsius = m["ReadingCelsius"].number()) add_temperature(s, c, id, name, *celsius);
      return;
    case SensorKind::temperature:
      if (reading) add_temperature(s, c, id, name, *reading);
      return;
    case SensorKind::fan_rpm:
      if (reading) add_fan(s, {c.id, id, name, reading, {}});
      return;
    case SensorKind::fan_percent:
      if (reading) add_fan(s, {c.id, id, name, m["SpeedRPM"].number(), percent_to_ratio(reading)});
      return;
    case SensorKind::none:
      return;
  }
}

void read_sensors(const Json& coll, const ChassisContext& c, Snapshot& s) {
  const auto members = coll["Members"];
  for (std::size_t i = 0; i < members.size(); ++i) read_sensor(members[i], c, s);
}

void read_thermal_metrics(const Json& t, const ChassisContext& c, Snapshot& s) {
  const auto temps = t["TemperatureReadingsCelsius"];
  for (std::size_t i = 0; i < temps.size(); ++i) {
    const auto item = temps[i];
    const auto source = item["DataSourceUri"].string().value_or("");
    const auto device = text_or(item, {"DeviceName"}, "");
    // DeviceName is a place ("Intake", "Internal"), shared by many sensors:
    // the sensor's Id (from its link) labels it, as in the Sensors collection.
    const auto id =
        source.empty() ? text_or(item, {"DeviceName"}, std::to_string(i)) : last_segment(source);
    if (auto v = item["Reading"].number(); v && !is_margin(id, device, *v))
      add_temperature(s, c, id, id, *v);
  }
}

void read_fan(const Json& fan, const ChassisContext& c, Snapshot& s) {
  if (not_present(fan)) return;
  const auto id = text_or(fan, {"Id"}, last_segment(fan.link()));
  const auto speed = fan["SpeedPercent"];
  add_fan(s, {c.id, id, text_or(fan, {"Name"}, id), speed["SpeedRPM"].number(),
              percent_to_ratio(speed["Reading"].number())});
}

void read_legacy_power(const Json& p, const std::string& path, const ChassisContext& c,
                       Snapshot& s) {
  const auto controls = p["PowerControl"];
  for (std::size_t i = 0; i < controls.size(); ++i) {
    const auto pc = controls[i];
    if (!whole_chassis(pc) || not_present(pc)) continue;
    if (auto w = pc["PowerConsumedWatts"].number()) chassis_reading(s, c, *w);
    const auto limit = pc["PowerLimit"];
    // LimitInWatts null (or only a LimitException) means "no cap", not "unknown".
    if (!limit.contains("LimitInWatts") && !limit.contains("LimitException")) continue;
    PowerLimit l;
    l.known = true;
    l.watts = limit["LimitInWatts"].number();
    l.path = path;
    chassis_limit(s, c, l, true, l.watts.has_value());
  }
  read_power_supplies(p["PowerSupplies"], c, s);
}

void read_environment(const Json& e, const ChassisContext& c, Snapshot& s) {
  if (auto w = e["PowerWatts"]["Reading"].number()) chassis_reading(s, c, *w);
  const auto limit = e["PowerLimitWatts"];
  if (!limit.is_object()) return;
  const auto control = limit["DataSourceUri"].string().value_or("");
  read_power_control(limit, "W", control.empty() ? e.link() : control, c, s);
}

void read_control(const Json& control, const ChassisContext& c, Snapshot& s) {
  if (control["ControlType"].string().value_or("") != "Power" || not_present(control)) return;
  read_power_control(control, control["SetPointUnits"].string().value_or("W"), control.link(), c,
                     s);
}

void read_controls(const Json& coll, const ChassisContext& c, Snapshot& s) {
  const auto members = coll["Members"];
  for (std::size_t i = 0; i < members.size(); ++i) read_control(members[i], c, s);
}

void read_power_supply_metrics(const Json& metrics, const ChassisContext& c, Snapshot& s) {
  if (not_present(metrics)) return;
  auto watts = metrics["InputPowerWatts"]["Reading"].number();
  if (!watts) watts = metrics["OutputPowerWatts"]["Reading"].number();
  if (!watts) return;
  for (auto& p : s.chassis_power)
    if (p.chassis == c.id && p.role == "power_supply") {
      p.watts += *watts;  // several supplies per chassis, one metrics body each
      return;
    }
  s.chassis_power.push_back({c.id, "power_supply", *watts});
}

void settle_power(Snapshot& s) {
  if (s.power_consumed_watts) {
    if (s.power_consumed_source.empty()) s.power_consumed_source = "server";
    return;
  }
  std::optional<double> supplies;
  for (const auto& p : s.chassis_power)
    if (p.role == "power_supply") supplies = supplies.value_or(0) + p.watts;
  s.power_consumed_watts = supplies;
  s.power_consumed_source = supplies ? "psu_input" : "";
}

MediaSlot read_media(const Json& m, const std::string& path, const std::string& owner) {
  MediaSlot slot;
  slot.path = path;
  slot.id = fmt::format("{}/{}", owner_of(owner, path), text_or(m, {"Id"}, last_segment(path)));
  slot.inserted = m["Inserted"].boolean();
  if (auto via = m["ConnectedVia"].string()) slot.connected = *via != "NotConnected";
  return slot;
}

LogFill read_log_service(const Json& svc, const std::string& path, const std::string& owner) {
  LogFill log;
  log.path = path;
  log.id = fmt::format("{}/{}", owner_of(owner, path), text_or(svc, {"Id"}, last_segment(path)));
  log.kind = log_kind(svc, path);
  log.entries_path = svc["Entries"].link();
  const bool sel = log.kind == "sel";
  const double most = sel ? kMaxLogCapacity : kMaxCount;
  if (auto cap = svc["MaxNumberOfRecords"].number()) {
    if (*cap >= 1 && *cap <= most) {
      log.capacity = *cap;
    } else {
      log.capacity_problem =
          fmt::format("{}: MaxNumberOfRecords {} is not a plausible {} capacity (1..{}); ignored",
                      path, *cap, sel ? "SEL" : "log", most);
    }
  }
  return log;
}

std::optional<double> count_members(const Json& coll) {
  const auto n = coll["Members@odata.count"].number();
  if (n && std::isfinite(*n) && *n >= 0 && *n <= kMaxCount && *n == std::floor(*n)) return *n;
  // One page of a paged collection undercounts: better no count than a wrong one.
  if (coll.contains("Members@odata.nextLink")) return std::nullopt;
  if (coll["Members"].is_array()) return double(coll["Members"].size());
  return std::nullopt;
}

}  // namespace bmcquiet::redfish
