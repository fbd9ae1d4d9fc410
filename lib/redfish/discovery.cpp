// Discovery: follows @odata.id links from the service root (never guessed
// IDs), each resource once however many places link it, and builds the Model.
#include "redfish/discovery.hpp"

#include <algorithm>
#include <cctype>

#include "redfish/oem.hpp"
#include "redfish/readers.hpp"

namespace bmcquiet::redfish {
namespace {

std::vector<std::string> member_links(const Json& collection) {
  std::vector<std::string> out;
  const auto members = collection["Members"];
  for (std::size_t i = 0; i < members.size(); ++i)
    if (auto l = members[i].link(); !l.empty()) out.push_back(l);
  return out;
}

std::vector<std::string> links_of(const Json& array) {
  std::vector<std::string> out;
  if (!array.is_array()) {
    if (auto l = array.link(); !l.empty()) out.push_back(l);  // ContainedBy is one object
    return out;
  }
  for (std::size_t i = 0; i < array.size(); ++i)
    if (auto l = array[i].link(); !l.empty()) out.push_back(l);
  return out;
}

bool listed(const std::vector<std::string>& links, const std::string& link) {
  return std::find(links.begin(), links.end(), link) != links.end();
}

// A PSU's draw is in its Metrics; one without (an empty bay) has none to read.
void walk_power_supply(ChassisModel& c, const Json& psu) {
  const auto metrics = psu["Metrics"].link();
  if (!metrics.empty() && !listed(c.supply_metrics, metrics)) c.supply_metrics.push_back(metrics);
}

// What a Sensors member is, before reading it: from an inlined ReadingType,
// else from an Id that names its type (bmcweb: "temperature_CPU1",
// "fan_tach_Fan0", "voltage_P12V"). 1: may be a temperature or a fan, 0:
// neither, -1: the list does not say.
int sensor_hint(const Json& member) {
  if (auto type = member["ReadingType"].string())
    return *type == "Temperature" || *type == "Rotational" || *type == "Percent";
  auto link = member.link();
  while (!link.empty() && link.back() == '/') link.pop_back();
  std::string id = link.substr(link.rfind('/') + 1);
  for (auto& ch : id) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  for (const char* yes : {"temperature_", "fan_", "fanpwm_"})
    if (id.starts_with(yes)) return 1;
  for (const char* no : {"voltage_", "current_", "power_", "energy_", "altitude_", "humidity_",
                         "utilization_", "airflow_", "pressure_", "frequency_", "liquidflow_"})
    if (id.starts_with(no)) return 0;
  return -1;
}

// A collection both a Manager and a System link (Supermicro lists the
// Manager's VirtualMedia under Systems/1 too) belongs to the one its path lies
// under, not to whichever body answered first: the series' labels must not
// change from one start to the next.
const char* collection_owner(const std::string& path, const char* linker) {
  if (path.find("/Managers/") != std::string::npos) return "manager";
  if (path.find("/Systems/") != std::string::npos) return "system";
  return linker;
}

bool advertised(const Json& root, std::string_view feature) {
  const auto f = root["ProtocolFeaturesSupported"];
  if (feature == "expand")
    return f["ExpandQuery"]["Levels"].boolean().value_or(false) ||
           f["ExpandQuery"]["ExpandAll"].boolean().value_or(false);
  return f[feature].boolean().value_or(false);
}

// "/redfish/v1/Managers/HGX_BMC_0/LogServices/Sel" → "HGX_BMC_0": tells two
// managers' (or systems') logs and media apart when their Ids collide.
std::string owner_resource(const std::string& path) {
  for (const char* coll : {"/Managers/", "/Systems/"}) {
    auto at = path.find(coll);
    if (at == std::string::npos) continue;
    auto start = at + std::string_view(coll).size();
    return path.substr(start, path.find('/', start) - start);
  }
  return "other";
}

// "manager/EventLog" on two managers: both become "manager/<Id>/EventLog",
// whichever answered first, so labels do not depend on timing.
template <class Items>
void unique_ids(Items& items, const std::map<std::string, std::string>& base) {
  std::map<std::string, int> uses;
  for (const auto& i : items) ++uses[base.at(i.path)];
  for (auto& i : items) {
    const auto& id = base.at(i.path);
    const auto slash = id.find('/');
    i.id = uses[id] == 1 || slash == std::string::npos
               ? id
               : id.substr(0, slash) + "/" + owner_resource(i.path) + id.substr(slash);
  }
}

// Rounds with answers from the BMC in which one link failed before it is skipped.
constexpr unsigned kMaxAttempts = 3;

bool transient(const HttpResponse& r) {
  if (r.refused) return false;  // a link off the BMC: skipped, not an outage
  return r.status == 0 || r.status == 401 || r.status >= 500 || (r.status < 300 && !r.ok());
}

}  // namespace

void take_sensor_list(ChassisModel& c, const Json& collection) {
  const auto members = collection["Members"];
  std::vector<std::pair<std::string, int>> now;
  bool typed = members.size() > 0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto link = members[i].link();
    if (link.empty()) continue;
    const int hint = sensor_hint(members[i]);
    typed = typed && hint >= 0;
    now.emplace_back(std::move(link), hint);
  }
  std::sort(now.begin(), now.end());
  std::vector<std::string> list, read;
  for (const auto& [link, hint] : now) {
    list.push_back(link);
    // Known from the last list: kept, or left out because it read as neither.
    const bool known = listed(c.sensor_list, link);
    if (known ? listed(c.sensor_members, link) : !typed || hint == 1) read.push_back(link);
  }
  c.sensor_list = std::move(list);
  c.sensor_members = std::move(read);
  c.sensors_one_by_one = true;
}

std::string normalise_link(const std::string& path) {
  auto p = path.substr(0, path.find('#'));
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

Discovery::Discovery(std::string data_model, const std::string& root_path)
    : data_model_(std::move(data_model)) {
  queue(root_path, Fetch::root);
}

void Discovery::queue(const std::string& path, Fetch::Kind kind, const std::string& owner) {
  if (path.empty() || !seen_.insert(normalise_link(path)).second) return;
  pending_.push_back({path, kind, owner});
  if (!owner.empty() && owner.starts_with("/")) ++chassis_wait_[owner];
}

std::optional<Fetch> Discovery::next() {
  if (pending_.empty()) return std::nullopt;
  auto f = std::move(pending_.front());
  pending_.pop_front();
  ++in_flight_;
  return f;
}

ChassisModel* Discovery::chassis_at(const std::string& path) {
  for (auto& c : model_.chassis)
    if (c.path == path) return &c;
  return nullptr;
}

bool Discovery::chassis_ready(const std::string& path) const {
  auto it = chassis_wait_.find(path);
  return it == chassis_wait_.end() || it->second == 0;
}

void Discovery::done(const Fetch& f, const HttpResponse& r) {
  if (in_flight_ > 0) --in_flight_;
  ++model_.requests;
  if (r.status != 0 && r.status < 500) round_answered_ = true;
  if (!r.ok() && transient(r) && f.attempts < kMaxAttempts) {
    // The BMC is busy or restarting: the same link is tried again by a later poll.
    later_.push_back(f);
    return;
  }
  if (r.ok()) {
    const auto& body = r.body;
    switch (f.kind) {
      case Fetch::root:
        on_root(body);
        break;
      case Fetch::chassis_collection:
        for (const auto& m : member_links(body)) queue(m, Fetch::chassis);
        break;
      case Fetch::manager_collection:
        for (const auto& m : member_links(body)) queue(m, Fetch::manager);
        break;
      case Fetch::system_collection:
        for (const auto& m : member_links(body)) queue(m, Fetch::system);
        break;
      case Fetch::chassis:
        on_chassis(body, f.path);
        break;
      case Fetch::manager:
        on_manager(body, f.path);
        break;
      case Fetch::system:
        on_system(body, f.path);
        break;
      case Fetch::network_protocol:
      case Fetch::media:
        if (f.kind == Fetch::media) on_media(body, f);
        model_.bodies[f.path] = body;
        break;
      case Fetch::log_collection:
        for (const auto& m : member_links(body)) queue(m, Fetch::log_service, f.owner);
        break;
      case Fetch::log_service:
        on_log_service(body, f);
        break;
      case Fetch::media_collection:
        for (const auto& m : member_links(body)) queue(m, Fetch::media, f.owner);
        break;
      case Fetch::thermal_subsystem:
      case Fetch::fan_members:
      case Fetch::control_members:
      case Fetch::sensor_list:
        on_chassis_part(body, f);
        break;
      case Fetch::environment_check:
      case Fetch::power_subsystem:
      case Fetch::power_supplies:
      case Fetch::power_supply:
        on_power_part(body, f);
        break;
    }
  }
  // A dangling link (404) or a refused one is the BMC's bug: that part is skipped.
  if (!f.owner.empty() && f.owner.starts_with("/") && chassis_wait_[f.owner] > 0)
    --chassis_wait_[f.owner];
  if (pending_.empty() && later_.empty() && in_flight_ == 0 && !model_.complete) finish();
}

void Discovery::new_round() {
  // A round in which the BMC answered nothing (down, or no login) is not the
  // link's fault: only rounds with other answers count against it, so a BMC
  // that was down at start is still walked from its root when it is back.
  for (auto& f : later_) {
    if (round_answered_) ++f.attempts;
    pending_.push_back(std::move(f));
  }
  later_.clear();
  round_answered_ = false;
}

void Discovery::on_root(const Json& root) {
  model_.expand = advertised(root, "expand");
  model_.top_skip = advertised(root, "TopSkipQuery");
  model_.root_vendor = root["Vendor"].string();
  if (root["Oem"].size() == 1) model_.root_oem = root["Oem"].keys()[0];
  providing_manager_ = normalise_link(root["Links"]["ManagerProvidingService"].link());
  model_.bodies[root.link().empty() ? "/redfish/v1" : root.link()] = root;
  queue(root["Chassis"].link(), Fetch::chassis_collection);
  queue(root["Managers"].link(), Fetch::manager_collection);
  queue(root["Systems"].link(), Fetch::system_collection);
}

void Discovery::on_chassis(const Json& c, const std::string& path) {
  ChassisModel m;
  m.path = path;
  m.id = c["Id"].string().value_or(path);
  m.name = c["Name"].string().value_or(m.id);
  m.type = c["ChassisType"].string().value_or("");
  const auto links = c["Links"];
  m.contained_by = links_of(links["ContainedBy"]);
  m.contains = links_of(links["Contains"]);
  m.computer_systems = links_of(links["ComputerSystems"]);
  m.managed_by = links_of(links["ManagedBy"]);
  m.thermal = c["Thermal"].link();
  m.power = c["Power"].link();
  m.sensors = c["Sensors"].link();
  m.controls = c["Controls"].link();
  m.environment = c["EnvironmentMetrics"].link();
  m.thermal_subsystem = c["ThermalSubsystem"].link();
  m.power_subsystem = c["PowerSubsystem"].link();
  const bool has_new = !m.thermal_subsystem.empty() || !m.sensors.empty();
  const bool has_old = !m.thermal.empty() || !m.power.empty();
  m.subsystem = data_model_ == "subsystem" ? has_new
                : data_model_ == "legacy"  ? false
                                           : !m.thermal_subsystem.empty() || !has_old;
  m.has_readings = m.subsystem ? has_new || !m.environment.empty() || !m.controls.empty() ||
                                     !m.power.empty() || !m.power_subsystem.empty()
                               : has_old;
  model_.chassis.push_back(std::move(m));
  const auto& added = model_.chassis.back();
  if (!added.has_readings || !added.subsystem) return;
  // Expanded Sensors carry temperatures and fans; otherwise ThermalMetrics
  // and the Fans members say, found through the ThermalSubsystem, or else
  // the Sensors one by one.
  if (!model_.expand || added.sensors.empty())
    queue(added.thermal_subsystem, Fetch::thermal_subsystem, path);
  if (!model_.expand) queue(added.controls, Fetch::control_members, path);
  if (!model_.expand && added.thermal_subsystem.empty())
    queue(added.sensors, Fetch::sensor_list, path);
  // The PSUs' input is the draw only where nothing else gives it: one look
  // at EnvironmentMetrics here keeps every later poll from reading the PSUs.
  if (added.power_subsystem.empty() || added.reads_legacy_power()) return;
  if (added.environment.empty()) {
    queue(added.power_subsystem, Fetch::power_subsystem, path);
  } else {
    queue(added.environment, Fetch::environment_check, path);
  }
}

void Discovery::on_power_part(const Json& body, const Fetch& f) {
  auto* c = chassis_at(f.owner);
  if (!c) return;
  if (f.kind == Fetch::environment_check) {
    if (!body["PowerWatts"]["Reading"].number())
      queue(c->power_subsystem, Fetch::power_subsystem, f.owner);
  } else if (f.kind == Fetch::power_subsystem) {
    c->power_supplies = body["PowerSupplies"].link();
    if (!c->power_supplies.empty())
      queue(c->power_supplies + (model_.expand ? kExpandMembers : ""), Fetch::power_supplies,
            f.owner);
  } else if (f.kind == Fetch::power_supplies) {
    const auto members = body["Members"];
    for (std::size_t i = 0; i < members.size(); ++i) {
      const auto psu = members[i];
      const bool inlined = psu.contains("Metrics") || psu.contains("Status");
      if (inlined) {
        walk_power_supply(*c, psu);
      } else {
        queue(psu.link(), Fetch::power_supply, f.owner);
      }
    }
  } else {
    walk_power_supply(*c, body);
  }
}

void Discovery::on_chassis_part(const Json& body, const Fetch& f) {
  auto* c = chassis_at(f.owner);
  if (!c) return;
  if (f.kind == Fetch::thermal_subsystem) {
    c->thermal_metrics = body["ThermalMetrics"].link();
    c->fans = body["Fans"].link();
    if (!model_.expand) queue(c->fans, Fetch::fan_members, f.owner);
    if (!model_.expand && c->thermal_metrics.empty() && c->fans.empty())
      queue(c->sensors, Fetch::sensor_list, f.owner);
  } else if (f.kind == Fetch::fan_members) {
    c->fan_members = member_links(body);
  } else if (f.kind == Fetch::sensor_list) {
    take_sensor_list(*c, body);
  } else {
    c->control_members = member_links(body);
  }
}

void Discovery::on_manager(const Json& body, const std::string& path) {
  ManagerModel m;
  m.path = path;
  m.id = body["Id"].string().value_or(path);
  m.providing_service = !providing_manager_.empty() && normalise_link(path) == providing_manager_;
  m.network_protocol = body["NetworkProtocol"].link();
  m.log_services = body["LogServices"].link();
  m.virtual_media = body["VirtualMedia"].link();
  model_.bodies[path] = body;
  queue(m.network_protocol, Fetch::network_protocol);
  queue(m.log_services, Fetch::log_collection, collection_owner(m.log_services, "manager"));
  queue(m.virtual_media, Fetch::media_collection, collection_owner(m.virtual_media, "manager"));
  model_.managers.push_back(std::move(m));
}

void Discovery::on_system(const Json& body, const std::string& path) {
  SystemModel s;
  s.path = path;
  s.id = body["Id"].string().value_or(path);
  s.log_services = body["LogServices"].link();
  s.virtual_media = body["VirtualMedia"].link();
  model_.bodies[path] = body;
  queue(s.log_services, Fetch::log_collection, collection_owner(s.log_services, "system"));
  queue(s.virtual_media, Fetch::media_collection, collection_owner(s.virtual_media, "system"));
  model_.systems.push_back(std::move(s));
}

void Discovery::on_log_service(const Json& body, const Fetch& f) {
  const auto fill = read_log_service(body, f.path, f.owner);
  LogModel l;
  l.id = base_ids_[f.path] = fill.id;
  l.kind = fill.kind;
  l.owner = f.owner;
  l.path = f.path;
  l.entries_path = fill.entries_path;
  l.capacity = fill.capacity;
  l.capacity_problem = fill.capacity_problem;
  model_.logs.push_back(std::move(l));
}

void Discovery::on_media(const Json& body, const Fetch& f) {
  const auto slot = read_media(body, f.path, f.owner);
  base_ids_[f.path] = slot.id;
  model_.media.push_back({slot.id, f.owner, f.path});
}

void Discovery::settle_order() {
  auto& m = model_;
  std::sort(m.managers.begin(), m.managers.end(), [](const auto& a, const auto& b) {
    return a.providing_service != b.providing_service ? a.providing_service : a.path < b.path;
  });
  std::sort(m.systems.begin(), m.systems.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  std::sort(m.logs.begin(), m.logs.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  std::sort(m.media.begin(), m.media.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  for (auto& c : m.chassis) std::sort(c.supply_metrics.begin(), c.supply_metrics.end());
  unique_ids(m.logs, base_ids_);
  unique_ids(m.media, base_ids_);
  assign_roles(m);
}

void Discovery::finish() {
  settle_order();
  auto& m = model_;
  const Json none;
  const auto* manager = m.manager();
  const auto* system = m.system();
  const auto& manager_body = manager ? m.bodies[manager->path] : none;
  const auto& system_body = system ? m.bodies[system->path] : none;
  m.vendor = vendor_oem_for(manager_body, system_body);
  if (m.vendor) m.oem_resources = m.vendor->resources(manager_body, system_body);
  m.complete = true;
}

std::shared_ptr<const Model> Discovery::publish() {
  settle_order();
  return std::make_shared<const Model>(model_);
}

}  // namespace bmcquiet::redfish
