// A whole BMC as one JSON object {"<path>": <body> | <HTTP status>, ...}:
// discovery walks it from the service root as it would walk a real BMC
// (any link, any loop, any status), then every vendor's OEM reader and the
// standard readers run over what the model found. "@model" picks the data
// model ("auto", "legacy", "subsystem"). Seeds are the fixture trees.
#include <memory>

#include "fuzz_common.hpp"
#include "redfish/client.hpp"
#include "redfish/discovery.hpp"
#include "redfish/json.hpp"
#include "redfish/model.hpp"
#include "redfish/oem.hpp"
#include "redfish/readers.hpp"
#include "redfish/snapshot.hpp"

using namespace bmcquiet::redfish;

namespace {

// More than any fixture tree needs; a BMC whose links never end stops here.
constexpr int kMaxFetches = 2000;

// The tree's key for a link: as written, else without the query ($expand)
// and trailing slash (some fixtures' links end in '/').
std::string key_of(const Json& bmc, std::string path) {
  if (bmc.contains(path)) return path;
  path = path.substr(0, path.find('?'));
  return bmc.contains(path) ? path : normalise_link(path);
}

Json at(const Json& bmc, const std::string& link) { return bmc[key_of(bmc, link)]; }

HttpResponse answer(const Json& bmc, const std::string& link) {
  HttpResponse r;
  const auto path = key_of(bmc, link);
  const auto v = bmc[path];
  if (auto status = v.number()) {
    r.status = *status >= 0 && *status < 1000 ? long(*status) : 0;
    r.error = "status";
    return r;
  }
  if (v.is_null() && !bmc.contains(path)) {
    r.status = 404;
    r.error = "404";
    return r;
  }
  r.status = 200;
  r.body = v;
  return r;
}

void read_model(const Json& bmc, const Model& m) {
  Snapshot s;
  for (const auto& c : m.chassis) {
    ChassisContext ctx{c.id, c.role, c.role == "server"};
    read_legacy_thermal(at(bmc, c.thermal), ctx, s);
    read_legacy_power(at(bmc, c.power), c.power, ctx, s);
    read_thermal_metrics(at(bmc, c.thermal_metrics), ctx, s);
    read_sensors(at(bmc, c.sensors), ctx, s);
    read_controls(at(bmc, c.controls), ctx, s);
    read_environment(at(bmc, c.environment), ctx, s);
    for (const auto& f : c.fan_members) read_fan(at(bmc, f), ctx, s);
    for (const auto& p : c.supply_metrics) read_power_supply_metrics(at(bmc, p), ctx, s);
    for (const auto& p : c.sensor_members) read_sensor(at(bmc, p), ctx, s);
  }
  for (const auto& l : m.logs) (void)count_members(at(bmc, l.entries_path));
  settle_power(s);
}

// Every vendor's reader on what it would read, and on every body discovery kept.
void read_oem(const Json& bmc, const Model& m) {
  Snapshot s;
  const auto manager = m.managers.empty() ? Json() : at(bmc, m.managers[0].path);
  const auto system = m.systems.empty() ? Json() : at(bmc, m.systems[0].path);
  (void)vendor_oem_for(manager, system);
  for (const auto* oem : vendor_oems()) {
    for (const auto& path : oem->resources(manager, system)) {
      oem->read(path, at(bmc, path), s);
      (void)oem->switches(path, at(bmc, path));
    }
    for (const auto& [path, body] : m.bodies) {
      oem->read(path, body, s);
      (void)oem->switches(path, body);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  auto bmc = Json::parse(bmcquiet::fuzz::text(data, size));
  if (!bmc || !bmc->is_object()) return 0;
  Discovery d((*bmc)["@model"].string().value_or("auto"));
  int fetches = 0;
  for (int round = 0; round < 3 && !d.complete(); ++round) {
    d.new_round();
    while (auto f = d.next()) {
      if (++fetches > kMaxFetches) return 0;
      d.done(*f, answer(*bmc, f->path));
    }
  }
  auto model = d.publish();
  if (!model) return 0;
  for (const auto& c : model->chassis) (void)d.chassis_ready(c.path);
  read_model(*bmc, *model);
  read_oem(*bmc, *model);
  return 0;
}
