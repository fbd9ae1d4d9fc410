#include "policy/redfish_discovery.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "policy/redfish_util.hpp"

namespace bmcquiet::policy {
namespace {

using redfish::Json;
using redfish::Response;

struct Found {
  Json root, manager, system, chassis;
  std::string manager_path, system_path, sel_log, power_control;
};

void add_oem_keys(const Json& body, std::set<std::string>& out) {
  for (const auto& k : body["Oem"].keys())
    if (k.empty() || k[0] != '@') out.insert(k);
}

BmcIdentity identity_of(const Found& f) {
  BmcIdentity id;
  id.manufacturer = f.manager["Manufacturer"].string().value_or("");
  id.service_vendor = f.root["Vendor"].string().value_or("");
  id.model = f.manager["Model"].string().value_or("");
  id.firmware = f.manager["FirmwareVersion"].string().value_or("");
  add_oem_keys(f.root, id.oem_namespaces);
  add_oem_keys(f.manager, id.oem_namespaces);
  return id;
}

bool has(const Json& body, std::initializer_list<const char*> keys) {
  Json v = body;
  for (const char* k : keys) v = v[k];
  return !v.is_null();
}

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The chassis power limit among its Controls: ControlType Power, for the
// whole chassis (PhysicalContext Chassis, or unstated).
std::string pick_power_control(const std::vector<Response>& controls) {
  for (const auto& c : controls) {
    if (!c.ok() || c.body["ControlType"].string().value_or("") != "Power") continue;
    const auto context = c.body["PhysicalContext"].string().value_or("Chassis");
    if (context == "Chassis") return c.body.link();
  }
  return {};
}

// The System Event Log among a manager's (or system's) LogServices.
std::string pick_sel(const std::vector<Response>& logs) {
  for (const auto& l : logs) {
    if (!l.ok()) continue;
    const auto type = lower(l.body["LogEntryType"].string().value_or(""));
    const auto id = lower(l.body["Id"].string().value_or(""));
    if (type == "sel" || id == "sel" || id.find("sel") != std::string::npos) return l.body.link();
  }
  return {};
}

// The advertised Links.Oem.Dell.DellAttributes resource whose path ends in
// group; "" when the iDRAC does not list it.
std::string dell_attributes(const Found& f, const char* group) {
  const auto links = f.manager["Links"]["Oem"]["Dell"]["DellAttributes"];
  const std::string suffix = std::string("/") + group;
  for (std::size_t i = 0; i < links.size(); ++i) {
    auto link = links[i].link();
    if (link.size() >= suffix.size() &&
        link.compare(link.size() - suffix.size(), suffix.size(), suffix) == 0)
      return link;
  }
  return {};
}

void add_profile_settings(const Found& f, const Profile& p, const RedfishClient& c, Discovery& d) {
  const auto oem = fmt::format("redfish/oem:{}", p.name);
  auto set = [&](ItemId id, PropertySpec spec) {
    if (d.backends.count(id)) return;  // the standard setting wins
    spec.transport = oem;
    d.backends[id] = make_redfish_property(c, std::move(spec));
  };
  if (p.vendor == Vendor::supermicro) {
    auto fan_mode = f.manager["Oem"]["Supermicro"]["FanMode"].link();
    if (!fan_mode.empty()) set(ItemId::fans, {fan_mode, {"Mode"}, R"("FullSpeed")"});
  } else if (p.vendor == Vendor::dell) {
    struct DellAttribute {
      ItemId item;
      const char *group, *name, *value;
    };
    static constexpr DellAttribute kDell[] = {
        {ItemId::sol, "iDRAC.Embedded.1", "IPMISOL.1.Enable", R"("Disabled")"},
        {ItemId::kvm, "iDRAC.Embedded.1", "VirtualConsole.1.Enable", R"("Disabled")"},
        {ItemId::fans, "System.Embedded.1", "ThermalSettings.1.FanSpeedOffset", R"("Max")"},
        {ItemId::firmware_auto_update, "LifecycleController.Embedded.1",
         "LCAttributes.1.AutoUpdate", R"("Disabled")"}};
    for (const auto& a : kDell)
      if (auto path = dell_attributes(f, a.group); !path.empty())
        set(a.item, {path, {"Attributes", a.name}, a.value});
  }
}

void build(const Found& f, const RedfishClient& c, const PolicySettings& s,
           SelItemOptions sel_options, Discovery& d) {
  d.ok = true;
  d.identity = identity_of(f);
  d.profile = identify(d.identity).profile;
  // SOL is the system's IPMI serial console; older services only expose the
  // manager's serial console service (IPMI and SSH to the host's serial port).
  if (has(f.system, {"SerialConsole", "IPMI", "ServiceEnabled"}))
    d.backends[ItemId::sol] = make_redfish_property(
        c, {f.system_path, {"SerialConsole", "IPMI", "ServiceEnabled"}, "false"});
  else if (has(f.manager, {"SerialConsole", "ServiceEnabled"}))
    d.backends[ItemId::sol] =
        make_redfish_property(c, {f.manager_path, {"SerialConsole", "ServiceEnabled"}, "false"});
  if (has(f.manager, {"GraphicalConsole", "ServiceEnabled"}))
    d.backends[ItemId::kvm] =
        make_redfish_property(c, {f.manager_path, {"GraphicalConsole", "ServiceEnabled"}, "false"});
  if (has(f.system, {"HostWatchdogTimer", "FunctionEnabled"}) &&
      s.watchdog_min_timeout.count() == 0)
    d.backends[ItemId::watchdog] = make_redfish_property(
        c, {f.system_path, {"HostWatchdogTimer", "FunctionEnabled"}, "false"});
  if (auto media = f.manager["VirtualMedia"].link(); !media.empty())
    d.backends[ItemId::virtual_media] = make_redfish_media(c, media);
  if (!f.power_control.empty())
    d.backends[ItemId::power_cap] =
        make_redfish_power_control(c, f.power_control, s.power_floor_watts);
  else if (auto power = f.chassis["Power"].link(); !power.empty())
    d.backends[ItemId::power_cap] = make_redfish_power_cap(c, power, s.power_floor_watts);
  if (!f.sel_log.empty())
    d.backends[ItemId::sel] = make_sel_backend(make_redfish_sel(c, f.sel_log), sel_options);
  if (d.profile) add_profile_settings(f, *d.profile, c, d);
}

Discovery failed(std::string error) {
  Discovery d;
  d.error = std::move(error);
  return d;
}

std::string first_member(const Response& collection) {
  auto links = rf::member_links(collection.body);
  return links.empty() ? std::string() : links.front();
}

void find_power_control(const RedfishClient& c, const std::shared_ptr<Found>& f,
                        std::function<void()> next) {
  auto controls = f->chassis["Controls"].link();
  if (controls.empty()) return next();
  c->get(controls, [c, f, next](Response list) {
    rf::get_all(c, rf::member_links(list.body), [f, next](std::vector<Response> members) {
      f->power_control = pick_power_control(members);
      next();
    });
  });
}

void find_sel(const RedfishClient& c, const std::shared_ptr<Found>& f, std::function<void()> next) {
  auto logs = f->manager["LogServices"].link();
  if (logs.empty()) return next();
  c->get(logs, [c, f, next](Response list) {
    rf::get_all(c, rf::member_links(list.body), [f, next](std::vector<Response> services) {
      f->sel_log = pick_sel(services);
      next();
    });
  });
}

}  // namespace

void discover_redfish(RedfishClient c, const PolicySettings& s, SelItemOptions sel_options,
                      std::function<void(Discovery)> done) {
  auto f = std::make_shared<Found>();
  auto finish = [c, s, sel_options, f, done]() {
    Discovery d;
    build(*f, c, s, sel_options, d);
    done(std::move(d));
  };
  c->get("/redfish/v1", [c, f, done, finish](Response root) {
    if (!root.ok()) return done(failed(rf::problem(root, "GET", "/redfish/v1")));
    f->root = root.body;
    rf::get_all(
        c, {root.body["Managers"].link(), root.body["Systems"].link(), root.body["Chassis"].link()},
        [c, f, done, finish](std::vector<Response> collections) {
          f->manager_path = first_member(collections[0]);
          f->system_path = first_member(collections[1]);
          if (f->manager_path.empty()) return done(failed("the Redfish service lists no Manager"));
          rf::get_all(c, {f->manager_path, f->system_path, first_member(collections[2])},
                      [c, f, done, finish](std::vector<Response> bodies) {
                        if (!bodies[0].ok())
                          return done(failed(rf::problem(bodies[0], "GET", f->manager_path)));
                        f->manager = bodies[0].body;
                        f->system = bodies[1].body;
                        f->chassis = bodies[2].body;
                        find_power_control(c, f, [c, f, finish] { find_sel(c, f, finish); });
                      });
        });
  });
}

}  // namespace bmcquiet::policy
