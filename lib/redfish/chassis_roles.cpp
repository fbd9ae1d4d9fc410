// Which chassis is the server and what the others are. GPU servers list 40+
// chassis in whatever order their BMC likes; the readings' meaning (whose
// power is the server's) must not depend on that order.
//
// The server (exactly one):
//   1. candidates: chassis linked to a ComputerSystem (Chassis
//      Links.ComputerSystems, or the System's Links.Chassis) that no other
//      such chassis contains (an HPE Apollo's node sits in an enclosure
//      chassis with nothing to read and no system link);
//   2. none: uncontained chassis of a whole-machine ChassisType (RackMount,
//      StandAlone, Blade, Sled, Enclosure, Tower...); none: every uncontained
//      chassis; none: every chassis;
//   3. tie-break: the one that contains the most chassis (Contains and
//      ContainedBy, transitively), then one with something to read, then the
//      one the manager providing the service manages, then the smallest path.
// The others, first rule that matches (Id and Name, case-insensitive):
//   erot/cpld/fpga/retimer/firmware          → component (nothing to read)
//   ChassisType PowerSupply, psu/power supply → power_supply
//   ChassisType Zone, zone                    → zone
//   switch (NVSwitch, PCIe switch)            → switch
//   gpu/sxm/accelerator                       → gpu
//   cpu/processor                             → cpu
//   StorageEnclosure/Drive, backplane/storage → storage
//   contains other chassis, or a whole-machine/rack ChassisType → enclosure
//   Module/Component/Card/...                 → component
//   else                                      → other
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "redfish/discovery.hpp"

namespace bmcquiet::redfish {
namespace {

const std::set<std::string> kWholeMachine = {"RackMount", "StandAlone", "Blade",     "Sled",
                                             "Enclosure", "Tower",      "Desktop",   "Rack",
                                             "Shelf",     "Drawer",     "Expansion", "Pod"};

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

bool mentions(const ChassisModel& c, std::initializer_list<const char*> words) {
  const auto text = lower(c.id + " " + c.name);
  return std::any_of(words.begin(), words.end(),
                     [&](const char* w) { return text.find(w) != std::string::npos; });
}

// Contains edges from both ends (BMCs often fill only one), by normalised path.
std::map<std::string, std::set<std::string>> containment(const std::vector<ChassisModel>& all) {
  std::set<std::string> known;
  for (const auto& c : all) known.insert(normalise_link(c.path));
  std::map<std::string, std::set<std::string>> children;
  for (const auto& c : all) {
    const auto self = normalise_link(c.path);
    for (const auto& child : c.contains)
      if (known.contains(normalise_link(child))) children[self].insert(normalise_link(child));
    for (const auto& parent : c.contained_by)
      if (known.contains(normalise_link(parent))) children[normalise_link(parent)].insert(self);
  }
  return children;
}

std::size_t descendants(const std::map<std::string, std::set<std::string>>& children,
                        const std::string& root) {
  std::set<std::string> seen;
  std::function<void(const std::string&)> walk = [&](const std::string& p) {
    auto it = children.find(p);
    if (it == children.end()) return;
    for (const auto& child : it->second)
      if (child != root && seen.insert(child).second) walk(child);
  };
  walk(root);
  return seen.size();
}

std::set<std::string> linked_to_systems(const Model& m) {
  std::set<std::string> out;
  for (const auto& s : m.systems) {
    auto body = m.bodies.find(s.path);
    if (body == m.bodies.end()) continue;
    const auto chassis = body->second["Links"]["Chassis"];
    for (std::size_t i = 0; i < chassis.size(); ++i) out.insert(normalise_link(chassis[i].link()));
  }
  return out;
}

std::string other_role(const ChassisModel& c, bool contains_others) {
  if (mentions(c, {"erot", "cpld", "fpga", "retimer", "firmware"})) return "component";
  if (c.type == "PowerSupply" || mentions(c, {"psu", "power supply", "powersupply"}))
    return "power_supply";
  if (c.type == "Zone" || mentions(c, {"zone"})) return "zone";
  if (mentions(c, {"switch"})) return "switch";
  if (mentions(c, {"gpu", "sxm", "accelerator"})) return "gpu";
  if (mentions(c, {"cpu", "processor"})) return "cpu";
  if (c.type == "StorageEnclosure" || c.type == "Drive" ||
      mentions(c, {"backplane", "storage", "nvme"}))
    return "storage";
  if (contains_others || kWholeMachine.contains(c.type)) return "enclosure";
  if (!c.type.empty()) return "component";
  return "other";
}

}  // namespace

void assign_roles(Model& m) {
  auto& all = m.chassis;
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  if (all.empty()) return;
  const auto children = containment(all);
  const auto systems = linked_to_systems(m);
  std::set<std::string> provider_managed;
  for (const auto& mgr : m.managers)
    if (mgr.providing_service) provider_managed.insert(normalise_link(mgr.path));
  auto key = [](const ChassisModel& c) { return normalise_link(c.path); };
  auto linked = [&](const ChassisModel& c) {
    return !c.computer_systems.empty() || systems.contains(key(c));
  };
  std::set<std::string> contained, inside_linked;
  for (const auto& c : all) {
    auto it = children.find(key(c));
    if (it == children.end()) continue;
    contained.insert(it->second.begin(), it->second.end());
    if (linked(c)) inside_linked.insert(it->second.begin(), it->second.end());
  }
  auto uncontained = [&](const ChassisModel& c) { return !contained.contains(key(c)); };
  using Rule = std::function<bool(const ChassisModel&)>;
  const std::vector<Rule> rules = {
      [&](const ChassisModel& c) { return linked(c) && !inside_linked.contains(key(c)); },
      [&](const ChassisModel& c) { return uncontained(c) && kWholeMachine.contains(c.type); },
      uncontained,
      [](const ChassisModel&) { return true; },
  };
  auto score = [&](const ChassisModel& c) {
    const bool managed = std::any_of(c.managed_by.begin(), c.managed_by.end(), [&](auto& l) {
      return provider_managed.contains(normalise_link(l));
    });
    return std::tuple{descendants(children, key(c)), c.has_readings, managed};
  };
  const ChassisModel* server = nullptr;
  for (const auto& rule : rules) {
    for (const auto& c : all)  // sorted by path: the first of equals wins
      if (rule(c) && (!server || score(c) > score(*server))) server = &c;
    if (server) break;
  }
  for (auto& c : all) c.role = &c == server ? "server" : other_role(c, children.contains(key(c)));
}

}  // namespace bmcquiet::redfish
