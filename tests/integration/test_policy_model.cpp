// The policy reads the same model of the BMC as the collector (one
// discovery, redfish/model.hpp): against bmcsim with fixtures reshaped the way
// real BMCs differ — logs and media under Systems, the providing Manager
// listed second, a GPU server whose GPUs have their own power limits, Dell's
// DellAttributes switches — and what reconciling costs the BMC in requests.

#include <fmt/format.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "policy/redfish_discovery.hpp"
#include "redfish/client.hpp"
#include "redfish/oem.hpp"
#include "support/bmcsim.hpp"
#include "support/helpers.hpp"
#include "support/policy_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using Status = policy::Observation::Status;

namespace {

const std::string kV1 = "/redfish/v1";
const std::string kIdrac = kV1 + "/Managers/iDRAC.Embedded.1";
const std::string kDellSystem = kV1 + "/Systems/System.Embedded.1";

// The policy rig, plus the collector's side of the same client.
struct Rig : PolicyRig {
  using PolicyRig::PolicyRig;
  std::shared_ptr<const redfish::Snapshot> poll() { return RedfishRig::poll(*client); }
  // The SEL's entry count in a snapshot, as the collector's poll carries it.
  static std::optional<double> sel_count(const redfish::Snapshot& snap) {
    for (const auto& l : snap.logs)
      if (l.kind == "sel" && l.entries) return l.entries;
    return std::nullopt;
  }
  // Polls like the collector until its snapshot carries the log counts.
  void poll_until_sel_counted() { REQUIRE(sel_count(*poll_counted(*client))); }
  // Lets what the client does in the background (log counts) finish.
  void settle() { idle(300ms); }
};

json::object resource(const BmcSim& sim, const std::string& path) {
  return json::parse(sim.resource(path)).as_object();
}
void put(const BmcSim& sim, const std::string& path, const json::value& body) {
  sim.control("POST", "/resource?path=" + path, json::serialize(body));
}
json::object link(const std::string& path) { return {{"@odata.id", path}}; }
json::object collection(const std::vector<std::string>& members) {
  json::array a;
  for (const auto& m : members) a.push_back(link(m));
  return {{"Members", a}, {"Members@odata.count", members.size()}};
}

// Request lines bmcsim saw since the last reset_stats ("GET /redfish/v1/..."):
// the tail of its last 64 that the request counter covers.
std::vector<std::string> recent(const BmcSim& sim) {
  const auto since_reset = std::size_t(sim.stat("requests"));
  REQUIRE(since_reset <= 64);
  std::vector<std::string> lines;
  const auto all = json::parse(sim.control("GET", "/recent"));
  for (const auto& l : all.as_array()) lines.emplace_back(l.as_string());
  lines.erase(lines.begin(), lines.end() - std::ptrdiff_t(std::min(since_reset, lines.size())));
  return lines;
}
std::size_t gets_of(const std::vector<std::string>& lines, const std::string& path) {
  std::size_t n = 0;
  for (const auto& l : lines)
    if (l == "GET " + path) ++n;
  return n;
}

std::string text(const json::value& v) { return std::string(v.as_string()); }

// Acts on one item; the paths bmcsim saw written meanwhile.
std::vector<std::string> written_by_act(Rig& rig, const BmcSim& sim, const policy::BmcSupport& d,
                                        policy::ItemId id) {
  sim.reset_stats();
  auto outcome = rig.act(d, id);
  INFO(outcome.error);
  CHECK(outcome.ok);
  std::vector<std::string> paths;
  const auto writes = json::parse(sim.control("GET", "/writes"));
  for (const auto& w : writes.as_array()) paths.push_back(text(w.at("path")));
  return paths;
}

// Moves the Dell fixture's SEL and virtual media from the Manager to the
// System, as BMCs that list them only under Systems do.
void move_logs_and_media_to_system(const BmcSim& sim) {
  const std::string logs = kDellSystem + "/LogServices", sel = logs + "/Sel";
  const std::string media = kDellSystem + "/VirtualMedia", cd = media + "/CD";
  auto log = resource(sim, kIdrac + "/LogServices/Sel");
  log["@odata.id"] = sel;
  log["Entries"] = link(sel + "/Entries");
  log["Actions"] = json::object{
      {"#LogService.ClearLog", json::object{{"target", sel + "/Actions/LogService.ClearLog"}}}};
  put(sim, sel, log);
  auto entries = collection({sel + "/Entries/1", sel + "/Entries/2", sel + "/Entries/3"});
  entries["@odata.id"] = sel + "/Entries";
  put(sim, sel + "/Entries", entries);
  put(sim, logs, collection({sel}));
  auto slot = resource(sim, kIdrac + "/VirtualMedia/CD");
  slot["@odata.id"] = cd;
  slot["Inserted"] = true;
  slot["Image"] = "http://10.0.0.1/boot.iso";
  slot["ConnectedVia"] = "URI";
  slot["Actions"] =
      json::object{{"#VirtualMedia.EjectMedia",
                    json::object{{"target", cd + "/Actions/VirtualMedia.EjectMedia"}}}};
  put(sim, cd, slot);
  put(sim, media, collection({cd}));
  auto system = resource(sim, kDellSystem);
  system["LogServices"] = link(logs);
  system["VirtualMedia"] = link(media);
  put(sim, kDellSystem, system);
  auto manager = resource(sim, kIdrac);
  manager.erase("LogServices");
  manager.erase("VirtualMedia");
  put(sim, kIdrac, manager);
}

}  // namespace

TEST_CASE("policy model: a SEL and virtual media listed only under Systems are supported",
          "[policy][model]") {
  BmcSim sim({fixture_dir("redfish/dell")});
  move_logs_and_media_to_system(sim);
  Rig rig(sim);
  auto d = rig.discover();
  CHECK_FALSE(d.unsupported.count(policy::ItemId::sel));
  CHECK_FALSE(d.unsupported.count(policy::ItemId::virtual_media));
  auto sel = rig.observe(d, policy::ItemId::sel);
  CHECK(sel.status == Status::compliant);
  CHECK(sel.current == "3/1024 (0%)");
  auto media = rig.observe(d, policy::ItemId::virtual_media);
  CHECK(media.status == Status::drifted);
  CHECK(media.current == "inserted: system/CD");

  CHECK(written_by_act(rig, sim, d, policy::ItemId::virtual_media) ==
        std::vector<std::string>{kDellSystem + "/VirtualMedia/CD/Actions/VirtualMedia.EjectMedia"});
  CHECK(rig.observe(d, policy::ItemId::virtual_media).status == Status::compliant);
}

TEST_CASE("policy model: the Manager providing the service is used, wherever it is listed",
          "[policy][model]") {
  BmcSim sim({fixture_dir("redfish/hgx")});
  // The HGX baseboard's BMC first, the host BMC (ManagerProvidingService) second.
  put(sim, kV1 + "/Managers", collection({kV1 + "/Managers/HGX_BMC_0", kV1 + "/Managers/bmc"}));
  auto baseboard_bmc = resource(sim, kV1 + "/Managers/HGX_BMC_0");
  baseboard_bmc["GraphicalConsole"] = json::object{{"ServiceEnabled", false}};
  put(sim, kV1 + "/Managers/HGX_BMC_0", baseboard_bmc);
  auto host_bmc = resource(sim, kV1 + "/Managers/bmc");
  host_bmc["GraphicalConsole"] = json::object{{"ServiceEnabled", true}};
  put(sim, kV1 + "/Managers/bmc", host_bmc);

  Rig rig(sim);
  auto d = rig.discover();
  CHECK(d.identity.model == "HGX-Host-BMC");
  CHECK(d.identity.manufacturer == "Contoso");
  auto kvm = rig.observe(d, policy::ItemId::kvm);
  CHECK(kvm.status == Status::drifted);  // the host BMC's console, not the baseboard's
  CHECK(kvm.current == "enabled");
  // The SEL is the providing manager's, not an event log of either.
  auto sel = rig.observe(d, policy::ItemId::sel);
  CHECK(sel.current == "37/4096 (1%)");
  // Media from every owner: the host BMC's CD (empty) and the System's (inserted).
  CHECK(rig.observe(d, policy::ItemId::virtual_media).current == "inserted: system/CD");
}

TEST_CASE("policy model: power_cap is the server chassis' control, never a GPU's",
          "[policy][model]") {
  BmcSim sim({fixture_dir("redfish/hgx")});
  // GPUs listed first, in reverse: member order must not matter.
  auto chassis = resource(sim, kV1 + "/Chassis");
  auto& members = chassis["Members"].as_array();
  std::reverse(members.begin(), members.end());
  put(sim, kV1 + "/Chassis", chassis);
  Rig rig(sim);
  rig.settings.power_floor_watts = 5000;  // each GPU's 700 W limit would be far below
  auto d = rig.discover();
  auto cap = rig.observe(d, policy::ItemId::power_cap);
  CHECK(cap.status == Status::compliant);
  CHECK(cap.current == "10200 W");

  rig.settings.power_floor_watts = 0;  // any cap is drift; lifting it touches the server only
  auto d0 = rig.discover();
  CHECK(rig.observe(d0, policy::ItemId::power_cap).status == Status::drifted);
  CHECK(written_by_act(rig, sim, d0, policy::ItemId::power_cap) ==
        std::vector<std::string>{kV1 + "/Chassis/Server_0/Controls/PowerLimit_0"});
  for (int gpu = 1; gpu <= 8; ++gpu) {
    const auto path =
        kV1 + "/Chassis/HGX_GPU_SXM_" + std::to_string(gpu) + "/Controls/PowerLimit_0";
    CHECK(text(resource(sim, path).at("ControlMode")) == "Automatic");
  }
}

namespace {

// DellAttributes shaped like the iDRAC9 capture's: linked from the Manager's
// Links.Oem.Dell, SOL and serial redirection on, capping configured but off.
void add_dell_attributes(const BmcSim& sim) {
  const auto base = kIdrac + "/Oem/Dell/DellAttributes/";
  auto attributes = [&](const std::string& group, const std::string& id, json::object values) {
    put(sim, base + group,
        json::object{{"@odata.id", base + group},
                     {"@odata.type", "#DellAttributes.v1_0_0.DellAttributes"},
                     {"Id", id},
                     {"Name", "OEMAttributeRegistry"},
                     {"AttributeRegistry", "ManagerAttributeRegistry.v1_0_0"},
                     {"Attributes", std::move(values)}});
  };
  attributes("iDRAC.Embedded.1", "iDRACAttributes",
             {{"IPMISOL.1.Enable", "Enabled"},
              {"SerialRedirection.1.Enable", "Enabled"},
              {"IPMILan.1.Enable", "Enabled"},
              {"VirtualConsole.1.Enable", "Enabled"}});
  attributes("System.Embedded.1", "SystemAttributes",
             {{"ServerPwr.1.PowerCapSetting", "Disabled"},
              {"ServerPwr.1.PowerCapValue", 1400},
              {"ThermalSettings.1.FanSpeedOffset", "Off"}});
  auto manager = resource(sim, kIdrac);
  manager["Links"] = json::object{
      {"Oem",
       json::object{{"Dell", json::object{{"DellAttributes",
                                           json::array{link(base + "iDRAC.Embedded.1"),
                                                       link(base + "System.Embedded.1")}}}}}}};
  // The standard properties say "off", as on the capture.
  manager["SerialConsole"].as_object()["ServiceEnabled"] = false;
  put(sim, kIdrac, manager);
  auto system = resource(sim, kDellSystem);
  system["SerialConsole"].as_object()["IPMI"].as_object()["ServiceEnabled"] = false;
  put(sim, kDellSystem, system);
}

// The daemon's log lines while alive (console format, as off the journal).
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("policy model: Dell's DellAttributes decide SOL and whether the power cap is active",
          "[policy][model][dell]") {
  BmcSim sim({fixture_dir("redfish/dell")});
  add_dell_attributes(sim);
  LogCapture log;
  Rig rig(sim);
  auto d = rig.discover();
  REQUIRE(d.profile);
  CHECK(d.profile->name == "dell-idrac");
  CHECK(d.backends.at(policy::ItemId::sol)->transport() == "redfish/oem:dell-idrac");
  auto sol = rig.observe(d, policy::ItemId::sol);
  CHECK(sol.status == Status::drifted);  // though SerialConsole says false everywhere
  CHECK(sol.current == "Enabled");
  CHECK(sol.desired == "Disabled");
  auto cap = rig.observe(d, policy::ItemId::power_cap);
  CHECK(cap.status == Status::compliant);  // LimitInWatts 1400, but capping is Disabled
  CHECK(cap.current ==
        "none (cap disabled in DellAttributes System.Embedded.1 ServerPwr.1.PowerCapSetting, "
        "1400 W configured)");
  for (int pass = 0; pass < 2; ++pass) rig.observe(d, policy::ItemId::power_cap);
  const auto logged = log.str();
  INFO(logged);
  CHECK(occurrences(logged, "policy: sol: the standard") == 1);  // naming both sides
  CHECK(occurrences(logged, "DellAttributes iDRAC.Embedded.1 IPMISOL.1.Enable says Enabled") == 1);
  CHECK(occurrences(logged, "policy: power_cap: the standard power limit shows 1400 W") == 1);
  auto fans = rig.observe(d, policy::ItemId::fans);  // the profile's OEM item, same source
  CHECK(fans.status == Status::drifted);
  CHECK(fans.current == "Off");

  CHECK(written_by_act(rig, sim, d, policy::ItemId::sol) ==
        std::vector<std::string>{kIdrac + "/Oem/Dell/DellAttributes/iDRAC.Embedded.1"});
  CHECK(rig.observe(d, policy::ItemId::sol).status == Status::compliant);

  SECTION(
      "capping switched on: the standard limit is judged, and lifting it turns the switch off") {
    auto system = resource(sim, kIdrac + "/Oem/Dell/DellAttributes/System.Embedded.1");
    system["Attributes"].as_object()["ServerPwr.1.PowerCapSetting"] = "Enabled";
    put(sim, kIdrac + "/Oem/Dell/DellAttributes/System.Embedded.1", system);
    auto on = rig.observe(d, policy::ItemId::power_cap);
    CHECK(on.status == Status::drifted);
    CHECK(on.current == "1400 W");
    CHECK(rig.act(d, policy::ItemId::power_cap).ok);
    CHECK(rig.observe(d, policy::ItemId::power_cap).status == Status::compliant);
    CHECK(resource(sim, kV1 + "/Chassis/System.Embedded.1/Power")
              .at("PowerControl")
              .as_array()[0]
              .at("PowerLimit")
              .at("LimitInWatts")
              .as_int64() == 1400);  // the standard limit was left alone
  }
}

TEST_CASE("policy model: without the Dell profile no OEM switch is used", "[policy][model][dell]") {
  BmcSim sim({fixture_dir("redfish/dell")});
  add_dell_attributes(sim);
  // Signals that contradict each other (a Supermicro Oem block on the root):
  // no profile, so the standard properties only, and no OEM write.
  auto root = resource(sim, kV1);
  root["Oem"].as_object()["Supermicro"] = json::object{};
  put(sim, kV1, root);
  Rig rig(sim);
  auto d = rig.discover();
  CHECK_FALSE(d.profile);
  CHECK(d.backends.at(policy::ItemId::sol)->transport() == "redfish");
  CHECK(rig.observe(d, policy::ItemId::sol).status == Status::compliant);  // SerialConsole false
  CHECK_FALSE(d.backends.count(policy::ItemId::fans));
}

TEST_CASE("policy model: the SEL item counts entries without downloading them every pass",
          "[policy][model][requests]") {
  const std::string entries = kIdrac + "/LogServices/Sel/Entries";
  SECTION("no $top: the collector's recent count is used") {
    BmcSim sim({fixture_dir("redfish/dell")});
    Rig rig(sim);
    rig.poll_until_sel_counted();  // the collector: discovery, readers, then the log counts
    auto d = rig.discover();
    sim.reset_stats();
    for (int pass = 0; pass < 3; ++pass)
      CHECK(rig.observe(d, policy::ItemId::sel).current == "5/1024 (0%)");
    const auto lines = recent(sim);
    INFO(json::serialize(json::value_from(lines)));
    CHECK(gets_of(lines, entries) == 0);
    CHECK(sim.stat("requests") == 0);  // capacity from the model, count from the snapshot
  }
  SECTION("after a clear, the collector's older count does not bring the drift back") {
    BmcSim sim({fixture_dir("redfish/dell")});
    auto log = resource(sim, kIdrac + "/LogServices/Sel");
    log["MaxNumberOfRecords"] = 6;  // 5 entries: over the 75 % the policy allows
    put(sim, kIdrac + "/LogServices/Sel", log);
    Rig rig(sim);
    rig.poll_until_sel_counted();
    auto d = rig.discover();
    CHECK(rig.observe(d, policy::ItemId::sel).current == "5/6 (83%)");
    auto cleared = rig.act(d, policy::ItemId::sel);
    INFO(cleared.error);
    REQUIRE(cleared.ok);
    CHECK(rig.observe(d, policy::ItemId::sel).current == "0/6 (0%)");  // the verify
    CHECK(Rig::sel_count(*rig.poll()) == 5.0);  // the collector has not re-counted yet
    CHECK(rig.observe(d, policy::ItemId::sel).current == "0/6 (0%)");  // the next pass
  }
  SECTION("no $top and the collector's count too old: counted afresh") {
    BmcSim sim({fixture_dir("redfish/dell")});
    Rig rig(sim, 50ms);  // counts older than 100 ms are stale
    rig.poll_until_sel_counted();
    auto d = rig.discover();
    rig.settle();
    sim.reset_stats();
    CHECK(rig.observe(d, policy::ItemId::sel).current == "5/1024 (0%)");
    CHECK(gets_of(recent(sim), entries) == 1);
  }
  SECTION("no $top and no collector: one GET of Entries, reused for the next passes") {
    BmcSim sim({fixture_dir("redfish/dell")});
    Rig rig(sim);
    auto d = rig.discover();
    CHECK(rig.observe(d, policy::ItemId::sel).current == "5/1024 (0%)");
    rig.settle();  // the client counts its logs after the discovery poll too
    sim.reset_stats();
    for (int pass = 0; pass < 3; ++pass)
      CHECK(rig.observe(d, policy::ItemId::sel).current == "5/1024 (0%)");
    CHECK(gets_of(recent(sim), entries) == 0);
    CHECK(sim.stat("requests") == 0);
  }
  SECTION("$top honoured: ?$top=1 each pass, never the whole collection") {
    BmcSim sim({fixture_dir("redfish/hgx")});
    Rig rig(sim);
    auto d = rig.discover();
    sim.reset_stats();
    CHECK(rig.observe(d, policy::ItemId::sel).current == "37/4096 (1%)");
    const auto lines = recent(sim);
    CHECK(gets_of(lines, kV1 + "/Managers/bmc/LogServices/SEL/Entries") == 0);
    CHECK(gets_of(lines, kV1 + "/Managers/bmc/LogServices/SEL/Entries?$top=1") == 1);
  }
}

namespace {

const redfish::VendorOem& vendor_named(const std::string& name) {
  for (const auto* v : redfish::vendor_oems())
    if (v->name() == name) return *v;
  FAIL("no VendorOem named " << name);
  throw std::logic_error("unreachable");
}

// Every switch the vendor's reader lists for a policy item is in the
// profile's table with the same attribute and quiet value, and every OEM item
// of the profile is served by one of the reader's switches.
void check_aligned(const policy::Profile& profile,
                   const std::vector<redfish::OemSwitch>& switches) {
  std::set<policy::ItemId> served;
  for (const auto& sw : switches) {
    const auto item = policy::item_for_oem_switch(sw.setting);
    if (!item) continue;
    served.insert(*item);
    const auto* entry = profile.oem(*item);
    INFO(profile.name << ": " << sw.where);
    REQUIRE(entry);
    const auto quiet = policy::describe_json_value(sw.quiet_json);
    CHECK(std::string(entry->where).find(sw.keys.back() + "=" + quiet) != std::string::npos);
  }
  for (const auto& entry : profile.oem_settings) {
    INFO(profile.name << ": " << entry.where);
    CHECK(served.count(entry.item));
  }
}

}  // namespace

TEST_CASE("policy model: the vendor profiles and the vendor OEM readers name the same switches",
          "[policy][model][profiles]") {
  for (const auto& profile : policy::profiles()) {
    if (profile.name == "dell-idrac") {
      const auto& dell = vendor_named(std::string(profile.oem_reader));
      std::vector<redfish::OemSwitch> all;
      for (const char* group :
           {"iDRAC.Embedded.1", "System.Embedded.1", "LifecycleController.Embedded.1"}) {
        // Every attribute the reader might know, as an iDRAC lists them.
        auto body = redfish::Json::parse(
            R"({"Attributes":{"IPMISOL.1.Enable":"Enabled","SerialRedirection.1.Enable":"Enabled",
                "IPMILan.1.Enable":"Enabled","VirtualConsole.1.Enable":"Enabled",
                "ServerPwr.1.PowerCapSetting":"Disabled","ThermalSettings.1.FanSpeedOffset":"Off",
                "LCAttributes.1.AutoUpdate":"Disabled"}})");
        auto found = dell.switches(kIdrac + "/Oem/Dell/DellAttributes/" + group, *body);
        all.insert(all.end(), found.begin(), found.end());
      }
      check_aligned(profile, all);
    } else if (profile.name == "supermicro") {
      const auto& supermicro = vendor_named(std::string(profile.oem_reader));
      auto all = supermicro.switches("/redfish/v1/Managers/1/Oem/Supermicro/FanMode",
                                     *redfish::Json::parse(R"({"Mode":"Optimal"})"));
      auto kcs = supermicro.switches("/redfish/v1/Managers/1/Oem/Supermicro/KCSInterface",
                                     *redfish::Json::parse(R"({"Privilege":"Administrator"})"));
      all.insert(all.end(), kcs.begin(), kcs.end());
      check_aligned(profile, all);
    } else if (profile.name == "hpe-ilo") {
      auto body = redfish::Json::parse(R"({"Oem":{"Hpe":{"KcsEnabled":true}}})");
      check_aligned(profile,
                    vendor_named("hpe").switches("/redfish/v1/Managers/1/NetworkProtocol", *body));
    } else if (profile.name == "lenovo-xcc") {
      for (const char* kcs : {"true", R"("Enabled")"}) {
        auto body =
            redfish::Json::parse(fmt::format(R"({{"Oem":{{"Lenovo":{{"KCSEnabled":{}}}}}}})", kcs));
        check_aligned(profile, vendor_named("lenovo").switches("/redfish/v1/Managers/1", *body));
      }
    }
  }
}
