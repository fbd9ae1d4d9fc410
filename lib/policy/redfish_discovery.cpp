#include "policy/redfish_discovery.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "policy/item_table.hpp"
#include "policy/redfish_util.hpp"
#include "redfish/model.hpp"
#include "redfish/oem.hpp"

namespace bmcquiet::policy {
namespace {

using redfish::HttpResponse;
using redfish::Json;
using redfish::Model;

constexpr const char* kRoot = "/redfish/v1";

void add_oem_keys(const Json& body, std::set<std::string>& out) {
  for (const auto& k : body["Oem"].keys())
    if (k.empty() || k[0] != '@') out.insert(k);
}

BmcIdentity identity_of(const Json& root, const Json& manager) {
  BmcIdentity id;
  id.manufacturer = manager["Manufacturer"].string().value_or("");
  id.service_vendor = root["Vendor"].string().value_or("");
  id.model = manager["Model"].string().value_or("");
  id.firmware = manager["FirmwareVersion"].string().value_or("");
  add_oem_keys(root, id.oem_namespaces);
  add_oem_keys(manager, id.oem_namespaces);
  return id;
}

// The standard property an item reads, with the resource that holds it.
struct Standard {
  PropertySpec spec;
  Json body;  // that resource as discovery read it
};

// The first resource (in path order, whatever order the BMC listed them)
// whose body has the property.
template <class Resources>
std::optional<Standard> first_with(const ModelBodies& b, const Resources& resources,
                                   std::vector<std::string> keys, std::string desired) {
  std::vector<std::string> paths;
  for (const auto& r : resources) paths.push_back(r.path);
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    auto body = b.at(path);
    if (!rf::at(body, keys).is_null())
      return Standard{{path, std::move(keys), std::move(desired)}, body};
  }
  return std::nullopt;
}

std::vector<redfish::ManagerModel> chosen_manager(const Model& m) {
  return m.manager() ? std::vector{*m.manager()} : std::vector<redfish::ManagerModel>{};
}

bool property_applies(const ItemSpec& spec, const PolicySettings& s) {
  return !spec.property_applies || spec.property_applies(s);
}

std::optional<Standard> first_with(const ModelBodies& b, const StandardProperty& p) {
  std::vector<std::string> keys(p.keys.begin(), p.keys.end());
  const auto& m = b.model();
  if (p.on == StandardProperty::On::systems)
    return first_with(b, m.systems, std::move(keys), std::string(p.off_json));
  return first_with(b, chosen_manager(m), std::move(keys), std::string(p.off_json));
}

// Each item's standard properties (item_table.cpp), the first one found.
std::map<ItemId, Standard> standard_properties(const ModelBodies& b, const PolicySettings& s) {
  std::map<ItemId, Standard> out;
  for (const auto& spec : item_specs()) {
    if (!property_applies(spec, s)) continue;
    for (const auto& property : spec.standard)
      if (auto found = first_with(b, property)) {
        out.emplace(spec.id, std::move(*found));
        break;
      }
  }
  return out;
}

// The server chassis' Controls with ControlType Power.
std::vector<Json> server_power_controls(const ModelBodies& b, const redfish::ChassisModel& server) {
  std::vector<Json> controls;
  for (const auto& path : server.control_members) controls.push_back(b.at(path));
  const auto members = b.at(server.controls)["Members"];
  for (std::size_t i = 0; server.control_members.empty() && i < members.size(); ++i)
    controls.push_back(members[i].contains("ControlType") ? members[i] : b.at(members[i].link()));
  std::vector<Json> power;
  for (const auto& c : controls)
    if (c["ControlType"].string().value_or("") == "Power" && !c.link().empty()) power.push_back(c);
  return power;
}

bool for_whole_chassis(const Json& control) {
  return control["PhysicalContext"].string().value_or("Chassis") == "Chassis";
}

// The server's power limit: the whole chassis' (PhysicalContext Chassis, or
// unstated), the lowest path. Never another chassis' (a GPU's is the GPU's).
std::string server_power_control(const ModelBodies& b, const redfish::ChassisModel& server) {
  std::vector<std::string> found;
  for (const auto& c : server_power_controls(b, server))
    if (for_whole_chassis(c)) found.push_back(c.link());
  std::sort(found.begin(), found.end());
  return found.empty() ? std::string() : found.front();
}

// The server chassis' other power controls (a CPU or memory domain's):
// shown beside the item, never written.
std::vector<std::string> other_server_controls(const ModelBodies& b) {
  std::vector<std::string> out;
  const auto* server = b.model().server_chassis();
  if (!server) return out;
  const auto chosen = server_power_control(b, *server);
  for (const auto& c : server_power_controls(b, *server))
    if (c.link() != chosen)
      out.push_back(fmt::format("{} ({})", c.link(),
                                c["PhysicalContext"].string().value_or("whole chassis")));
  std::sort(out.begin(), out.end());
  return out;
}

// `vendor`: the range a vendor's OEM attributes allow, when they say.
std::shared_ptr<ItemBackend> standard_power_cap(const ModelBodies& b, const RedfishClient& c,
                                                double floor, const PowerRange& vendor = {}) {
  const auto* server = b.model().server_chassis();
  if (!server) return nullptr;
  if (auto control = server_power_control(b, *server); !control.empty())
    return make_redfish_power_control(c, control, floor, vendor);
  if (!server->power.empty()) return make_redfish_power_cap(c, server->power, floor, vendor);
  return nullptr;
}

// The range a vendor's OEM resource gives the power limit (Dell
// ServerPwr.1.PowerCapMinThres/MaxThres), through that vendor's own reader.
PowerRange vendor_power_range(const redfish::VendorOem& vendor, const std::string& path,
                              const Json& body) {
  redfish::Snapshot s;
  vendor.read(path, body, s);
  return {s.power_limit.allowable_min, s.power_limit.allowable_max,
          fmt::format("the vendor's thresholds in {}", path)};
}

// min_timeout > 0: a running watchdog keeps running with a longer timeout.
// Turning FunctionEnabled off is never the fix, so a System without a timeout
// property leaves the item to IPMI, or unsupported with the reason.
void watchdog_with_minimum(const ModelBodies& b, const RedfishClient& c, const PolicySettings& s,
                           BmcSupport& d) {
  std::vector<std::string> paths;
  for (const auto& system : b.model().systems) paths.push_back(system.path);
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    const auto timer = b.at(path)["HostWatchdogTimer"];
    if (!timer.is_object()) continue;
    if (auto timeout = watchdog_timeout_of(timer)) {
      d.backends[ItemId::watchdog] =
          make_redfish_watchdog_timeout(c, path, *timeout, s.watchdog_min_timeout);
      return;
    }
    d.unsupported[ItemId::watchdog] = fmt::format(
        "{} HostWatchdogTimer has no timeout property (the Redfish schema defines none), so "
        "min_timeout {} s cannot be checked or set over Redfish; it is never disabled for that. "
        "Configure bmc.ipmi to extend it with Set Watchdog Timer, or set min_timeout: 0s to "
        "have it turned off",
        path, s.watchdog_min_timeout.count());
    return;
  }
}

std::shared_ptr<ItemBackend> media_backend(const Model& m, const RedfishClient& c) {
  std::vector<MediaSlotRef> slots;
  for (const auto& media : m.media) slots.push_back({media.id, media.path});
  std::sort(slots.begin(), slots.end(),
            [](const auto& x, const auto& y) { return x.label < y.label; });
  return slots.empty() ? nullptr : make_redfish_media(c, std::move(slots));
}

std::shared_ptr<ItemBackend> sel_backend(const Model& m, const RedfishClient& c,
                                         SelItemOptions options) {
  const auto* log = m.sel();
  if (!log) return nullptr;
  if (log->entries_path.empty())
    return make_sel_backend(make_redfish_sel(c, log->path), std::move(options));
  const auto interval =
      c ? c->options().log_interval : std::chrono::milliseconds(std::chrono::minutes(5));
  SelLogSpec spec{log->path, log->entries_path, log->capacity, m.top_skip, 2 * interval};
  spec.capacity_problem = log->capacity_problem;
  return make_sel_backend(make_redfish_sel(c, std::move(spec)), std::move(options));
}

std::string describe_standard(const Standard& s) {
  return fmt::format("{} {}", s.spec.path, fmt::join(s.spec.keys, "/"));
}

// Logged once per discovery: the policy acts on the OEM switch.
void log_disagreement(ItemId id, const Standard& standard, const redfish::OemSwitch& sw,
                      const Json& oem_value) {
  const auto standard_value = rf::at(standard.body, standard.spec.keys).dump();
  const bool standard_on = standard_value != standard.spec.desired_json;
  const bool oem_on = oem_value.dump() != sw.quiet_json;
  if (standard_on == oem_on) return;
  log_event(
      spdlog::level::warn,
      fmt::format("policy: {}: the standard {} says {}, but {} says {}; the vendor's switch "
                  "decides",
                  to_string(id), describe_standard(standard), describe_json_value(standard_value),
                  sw.where, describe_json_value(oem_value.dump())),
      {{"ITEM", std::string(to_string(id))}, {"OEM_SOURCE", sw.where}});
}

// The identified profile's own vendor switches replace the standard
// properties: the vendor honours those, not the standard ones.
void add_vendor_switches(const ModelBodies& b, const Profile& p, const RedfishClient& c,
                         const PolicySettings& s, const std::map<ItemId, Standard>& standard,
                         BmcSupport& d) {
  const auto& m = b.model();
  if (!m.vendor || p.oem_reader.empty() || m.vendor->name() != p.oem_reader) return;
  const auto transport = fmt::format("redfish/oem:{}", p.name);
  for (const auto& path : m.oem_resources) {
    const auto body = b.at(path);
    if (body.is_null()) continue;  // its GET failed: the standard property stays
    for (const auto& sw : m.vendor->switches(path, body)) {
      PropertySpec spec{sw.path, sw.keys, sw.quiet_json, transport};
      const auto id = item_for_oem_switch(sw.setting);
      if (!id || !property_applies(spec_of(*id), s)) continue;
      if (*id == ItemId::power_cap) {
        const auto range = vendor_power_range(*m.vendor, path, body);
        if (auto limit = standard_power_cap(b, c, s.power_floor_watts, range))
          d.backends[ItemId::power_cap] =
              make_oem_gated_power_cap(c, spec, sw.where, limit, s.power_floor_watts);
        continue;
      }
      if (auto st = standard.find(*id); st != standard.end())
        log_disagreement(*id, st->second, sw, rf::at(body, sw.keys));
      d.backends[*id] = make_redfish_property(c, std::move(spec));
    }
  }
}

BmcSupport failed(std::string error) {
  BmcSupport d;
  d.error = std::move(error);
  return d;
}

void fetch_missing(const RedfishClient& c, const std::shared_ptr<ModelBodies>& b,
                   std::vector<std::string> paths, std::function<void()> next) {
  paths.erase(std::remove_if(paths.begin(), paths.end(),
                             [&](const auto& p) { return p.empty() || b->has(p); }),
              paths.end());
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  rf::get_all(c, paths, [b, paths, next = std::move(next)](std::vector<HttpResponse> answers) {
    for (std::size_t i = 0; i < answers.size(); ++i)
      if (answers[i].ok()) b->add(paths[i], answers[i].body);
    next();
  });
}

// What the model may not hold: the root and Manager/System bodies (identity,
// standard properties), the vendor's OEM resources, the server's Controls.
std::vector<std::string> first_reads(const Model& m) {
  std::vector<std::string> paths{kRoot};
  if (m.manager()) paths.push_back(m.manager()->path);
  for (const auto& s : m.systems) paths.push_back(s.path);
  if (m.vendor) paths.insert(paths.end(), m.oem_resources.begin(), m.oem_resources.end());
  if (const auto* server = m.server_chassis()) {
    paths.push_back(server->controls);
    paths.insert(paths.end(), server->control_members.begin(), server->control_members.end());
  }
  return paths;
}

std::vector<std::string> control_reads(const ModelBodies& b) {
  std::vector<std::string> paths;
  const auto* server = b.model().server_chassis();
  if (!server || !server->control_members.empty()) return paths;
  const auto members = b.at(server->controls)["Members"];
  for (std::size_t i = 0; i < members.size(); ++i)
    if (!members[i].contains("ControlType")) paths.push_back(members[i].link());
  return paths;
}

}  // namespace

redfish::Json ModelBodies::at(const std::string& path) const {
  if (path.empty()) return {};
  for (const auto& key :
       {path, rf::without_trailing_slash(path), rf::without_trailing_slash(path) + "/"}) {
    if (auto f = fetched_.find(key); f != fetched_.end()) return f->second;
    if (auto m = model_->bodies.find(key); m != model_->bodies.end()) return m->second;
  }
  return {};
}

BmcSupport backends_from_model(const ModelBodies& b, const RedfishClient& c,
                               const PolicySettings& s, SelItemOptions sel_options) {
  const auto& m = b.model();
  BmcSupport d;
  d.ok = true;
  const auto manager = m.manager() ? b.at(m.manager()->path) : Json();
  d.identity = identity_of(b.at(kRoot), manager);
  d.profile = identify(d.identity).profile;
  const auto standard = standard_properties(b, s);
  for (const auto& [id, st] : standard) d.backends[id] = make_redfish_property(c, st.spec);
  if (auto media = media_backend(m, c)) d.backends[ItemId::virtual_media] = media;
  if (auto cap = standard_power_cap(b, c, s.power_floor_watts)) d.backends[ItemId::power_cap] = cap;
  if (auto sel = sel_backend(m, c, std::move(sel_options))) d.backends[ItemId::sel] = sel;
  if (s.watchdog_min_timeout.count() > 0) watchdog_with_minimum(b, c, s, d);
  if (d.profile) add_vendor_switches(b, *d.profile, c, s, standard, d);
  if (auto cap = d.backends.find(ItemId::power_cap); cap != d.backends.end())
    cap->second = with_device_limits(c, cap->second, other_server_controls(b));
  return d;
}

void discover_redfish(RedfishClient c, const PolicySettings& s, SelItemOptions sel_options,
                      std::function<void(BmcSupport)> done) {
  c->discover([c, s, sel_options, done](std::shared_ptr<const Model> model, std::string error) {
    if (!model || !error.empty())
      return done(failed(fmt::format(
          "Redfish discovery did not finish: {}; the policy tries again on its next pass",
          error.empty() ? "no model" : error)));
    if (!model->manager()) return done(failed("the Redfish service lists no Manager"));
    auto b = std::make_shared<ModelBodies>(model);
    auto build = [b, c, s, sel_options, done] {
      const auto& manager = b->model().manager()->path;
      if (!b->has(manager))
        return done(failed(fmt::format("GET {} failed; check bmc.redfish and the BMC", manager)));
      done(backends_from_model(*b, c, s, sel_options));
    };
    fetch_missing(c, b, first_reads(*model),
                  [b, c, build] { fetch_missing(c, b, control_reads(*b), build); });
  });
}

}  // namespace bmcquiet::policy
