// The model of the BMC (discovery) against bmcsim: a GPU server's 45 chassis
// in any member order, a slow BMC discovered a little more by every poll, a
// slow log count beside the polls, and recovery after a long outage.
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include <catch2/catch.hpp>

#include "redfish/client.hpp"
#include "support/bmcsim.hpp"
#include "support/redfish_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;
using redfish::Snapshot;

namespace {

// Longer timeouts than the shared rig: these tests time a BMC on purpose.
struct Rig : RedfishRig {
  redfish::ClientOptions options(const BmcSim& sim) {
    auto o = RedfishRig::options(sim);
    o.request_timeout = 10s;
    o.poll_deadline = 10s;
    o.backoff_initial = redfish::ClientOptions{}.backoff_initial;
    o.backoff_max = redfish::ClientOptions{}.backoff_max;
    return o;
  }
};

// The Chassis collection of the fixture with its members in another order.
std::string reordered_chassis(const BmcSim& sim, unsigned seed, bool duplicate_one) {
  auto body = redfish::Json::parse(sim.resource("/redfish/v1/Chassis"));
  REQUIRE(body);
  std::vector<std::string> members;
  for (std::size_t i = 0; i < (*body)["Members"].size(); ++i)
    members.push_back((*body)["Members"][i].link());
  if (seed == 1) std::reverse(members.begin(), members.end());
  if (seed > 1) std::shuffle(members.begin(), members.end(), std::mt19937(seed));
  if (duplicate_one) members.push_back(members.front());  // listed twice: read once
  std::string out = R"({"@odata.id":"/redfish/v1/Chassis","Name":"Chassis","Members":[)";
  for (std::size_t i = 0; i < members.size(); ++i)
    out +=
        (i ? "," : "") + std::string(R"({"@odata.id":)") + redfish::Json::quote(members[i]) + "}";
  return out + R"(],"Members@odata.count":)" + std::to_string(members.size()) + "}";
}

// What must not depend on member order.
struct Observed {
  std::set<std::tuple<std::string, std::string, double>> temperatures;
  std::optional<double> server_power, limit;
  std::set<std::tuple<std::string, std::string, double>> chassis_power;
  std::map<std::string, std::string> roles;
  std::set<std::string> log_ids, media_ids;
  bool operator==(const Observed&) const = default;
};

Observed observe(const Snapshot& s, const redfish::Model& m) {
  Observed o;
  for (const auto& t : s.temperatures) o.temperatures.insert({t.chassis, t.id, t.value});
  o.server_power = s.power_consumed_watts;
  o.limit = s.power_limit.watts;
  for (const auto& p : s.chassis_power) o.chassis_power.insert({p.chassis, p.role, p.watts});
  for (const auto& c : m.chassis) o.roles[c.id] = c.role;
  for (const auto& l : m.logs) o.log_ids.insert(l.id);
  for (const auto& md : m.media) o.media_ids.insert(md.id);
  return o;
}

bool has_temperature_from(const Snapshot& s, const std::string& chassis_prefix) {
  return std::any_of(s.temperatures.begin(), s.temperatures.end(),
                     [&](const auto& t) { return t.chassis.starts_with(chassis_prefix); });
}

std::size_t count_role(const redfish::Model& m, const std::string& role) {
  return std::count_if(m.chassis.begin(), m.chassis.end(),
                       [&](const auto& c) { return c.role == role; });
}

// Readings a snapshot carries: grows while discovery goes on.
std::size_t readings(const Snapshot& s) {
  return s.temperatures.size() + s.fans.size() + s.media.size() + s.logs.size() +
         (s.power_consumed_watts ? 1 : 0) + (s.power_limit.known ? 1 : 0) + (s.vendor ? 1 : 0);
}

// A client for a real capture: some of their bodies are large.
std::shared_ptr<redfish::Client> capture_client(Rig& rig, const BmcSim& sim) {
  auto options = rig.options(sim);
  options.max_response_bytes = 16 * 1024 * 1024;
  return redfish::Client::create(rig.io, options, nullptr);
}

// One resource of the simulated BMC with `from` replaced by `to` (which must be there).
void edit_resource(const BmcSim& sim, const std::string& path, const std::string& from,
                   const std::string& to) {
  auto body = sim.resource(path);
  REQUIRE(body.find(from) != std::string::npos);
  body.replace(body.find(from), from.size(), to);
  sim.control("POST", "/resource?path=" + path, body);
}

// The fixture's service root without ExpandQuery: collections come as links only.
void without_expand(const BmcSim& sim) {
  edit_resource(sim, "/redfish/v1", "\"ExpandAll\":true", "\"ExpandAll\":false");
  edit_resource(sim, "/redfish/v1", "\"Levels\":true", "\"Levels\":false");
}

// How often the BMC's last `last` requests (at most 64: /recent) show `fragment`.
std::size_t requested(const BmcSim& sim, const std::string& fragment, std::size_t last = 64) {
  auto recent = redfish::Json::parse(sim.control("GET", "/recent"));
  REQUIRE(recent);
  REQUIRE(last <= 64);
  std::size_t n = 0;
  const auto size = recent->size();
  for (auto i = size - std::min(size, last); i < size; ++i)
    n += (*recent)[i].string().value_or("").find(fragment) != std::string::npos;
  return n;
}

using Readings = std::set<std::tuple<std::string, std::string, double>>;

Readings temperatures_of(const Snapshot& s) {
  Readings out;
  for (const auto& t : s.temperatures) out.insert({t.chassis, t.id, t.value});
  return out;
}

Readings fans_of(const Snapshot& s) {
  Readings out;
  for (const auto& f : s.fans) out.insert({f.chassis, f.id, f.rpm.value_or(-1)});
  return out;
}

}  // namespace

TEST_CASE("Redfish model: a 45-chassis GPU server reads the same whatever the member order",
          "[redfish][model]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/hgx")});
  std::optional<Observed> first;
  for (unsigned order : {0u, 1u, 7u}) {
    INFO("member order " << order);
    sim.control("POST", "/resource?path=/redfish/v1/Chassis",
                reordered_chassis(sim, order, order == 7));
    auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
    auto s = rig.poll(*client);
    INFO(s->error);
    REQUIRE(s->up);
    CHECK(s->complete);
    auto model = client->model();
    REQUIRE(model);
    REQUIRE(model->complete);

    CHECK(model->chassis.size() == 45);  // every chassis, no cap, the duplicate read once
    CHECK(s->chassis_total == 45);
    CHECK(std::is_sorted(model->chassis.begin(), model->chassis.end(),
                         [](const auto& a, const auto& b) { return a.path < b.path; }));
    REQUIRE(model->server_chassis());
    CHECK(model->server_chassis()->id == "Server_0");
    CHECK(count_role(*model, "server") == 1);
    CHECK(count_role(*model, "gpu") == 8);
    CHECK(count_role(*model, "switch") == 4);
    CHECK(count_role(*model, "cpu") == 2);
    CHECK(count_role(*model, "power_supply") == 4);
    CHECK(count_role(*model, "zone") == 2);
    CHECK(count_role(*model, "enclosure") == 1);  // the baseboard, which contains the GPUs
    for (const auto& c : model->chassis) {
      INFO(c.id);
      if (c.id.find("ERoT") != std::string::npos || c.id.find("Retimer") != std::string::npos)
        CHECK_FALSE(c.has_readings);
    }
    // Every manager and system: the providing one first; logs and media of all.
    REQUIRE(model->managers.size() == 2);
    CHECK(model->managers[0].id == "bmc");
    CHECK(model->managers[0].providing_service);
    CHECK(model->logs.size() == 3);
    CHECK(model->media.size() == 2);
    CHECK(model->bodies.contains("/redfish/v1"));
    CHECK(model->bodies.contains("/redfish/v1/Systems/system"));
    CHECK(model->bodies.contains("/redfish/v1/Managers/bmc"));

    for (int gpu = 1; gpu <= 8; ++gpu)
      CHECK(has_temperature_from(*s, "HGX_GPU_SXM_" + std::to_string(gpu)));
    CHECK(has_temperature_from(*s, "CPU_0"));
    CHECK(has_temperature_from(*s, "HGX_NVSwitch_"));
    CHECK(s->temperatures.size() == 17);  // server 2, baseboard 1, GPUs 8, switches 4, CPUs 2
    // A second poll reads only chassis with readings, from the cached model:
    // the System, then per chassis Sensors/EnvironmentMetrics/Controls as
    // linked (server 3, baseboard 2, GPUs 3 each, switches 1, CPUs 2, PSUs
    // and zones 1 each); the ERoTs, retimers and the empty CPLD are skipped.
    auto again = rig.poll(*client);
    CHECK(again->requests == 44);
    CHECK(again->chassis_read == 22);
    // Whose power and limit is the server's is the readers' call, from the
    // roles above (per-chassis power and device limits kept apart).
    CHECK(s->power_consumed_watts == 5120.0);  // the server's own, not a GPU's or a zone's
    CHECK(s->power_consumed_source == "chassis:Server_0");
    CHECK(s->power_limit.watts == 10200.0);  // the server's control, not a GPU's 700 W
    CHECK(s->power_limit.path == "/redfish/v1/Chassis/Server_0/Controls/PowerLimit_0");
    REQUIRE(s->device_limits.size() == 8);
    for (const auto& d : s->device_limits) {
      INFO(d.chassis);
      CHECK(d.role == "gpu");
      CHECK(d.watts == 700.0);
    }
    // Per-chassis draw kept apart, each under its own chassis and role.
    const auto draw = [&](const std::string& chassis) -> std::optional<double> {
      for (const auto& p : s->chassis_power)
        if (p.chassis == chassis) return p.watts;
      return std::nullopt;
    };
    CHECK(draw("Server_0") == 5120.0);
    CHECK(draw("HGX_GPU_SXM_1") == 550.0);
    CHECK(draw("Zone_GPU") == 4800.0);
    CHECK(draw("PSU_3") == 1303.0);
    auto seen = observe(*s, *model);
    if (!first) first = seen;
    CHECK(seen.temperatures == first->temperatures);
    CHECK(seen.server_power == first->server_power);
    CHECK(seen.limit == first->limit);
    CHECK(seen.chassis_power == first->chassis_power);
    CHECK(seen.roles == first->roles);
    CHECK(seen.log_ids == first->log_ids);
    CHECK(seen.media_ids == first->media_ids);
  }
}

TEST_CASE("Redfish model: a slow BMC is discovered a little more by every poll, once",
          "[redfish][model]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/dell"), nullptr, 400});
  auto options = rig.options(sim);
  options.max_in_flight = 1;
  options.poll_deadline = 2s;  // discovery alone needs about 14 requests: 5.6 s
  auto client = redfish::Client::create(rig.io, options, nullptr);
  std::vector<std::shared_ptr<const Snapshot>> polls;
  for (int i = 0; i < 12; ++i) {
    polls.push_back(rig.poll(*client));
    INFO("poll " << i << ": " << polls.back()->error);
    CHECK(polls.back()->up);  // the BMC answers, only slowly
    CHECK(polls.back()->seconds < 3.5);
    if (polls.back()->complete) break;
  }
  REQUIRE(polls.size() >= 3);
  CHECK_FALSE(polls.front()->complete);
  CHECK(polls.front()->error.find("poll deadline") != std::string::npos);
  CHECK(polls.back()->complete);
  for (std::size_t i = 1; i < polls.size(); ++i)
    CHECK(readings(*polls[i]) >= readings(*polls[i - 1]));
  CHECK(readings(*polls.back()) > readings(*polls.front()));
  CHECK(polls.back()->power_consumed_watts == 412.0);
  REQUIRE(client->model());
  CHECK(client->model()->complete);

  // The walk was never restarted: the Chassis collection was fetched once.
  auto recent = sim.control("GET", "/recent");
  std::size_t collection_reads = 0;
  for (auto at = recent.find("GET /redfish/v1/Chassis\""); at != std::string::npos;
       at = recent.find("GET /redfish/v1/Chassis\"", at + 1))
    ++collection_reads;
  CHECK(sim.stat("requests") < 64);  // /recent holds them all
  CHECK(collection_reads == 1);
}

TEST_CASE("Redfish model: a slow log count never holds the readings back", "[redfish][model]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/dell")});
  sim.latency(8000, "/Sel/Entries");
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  auto first = rig.poll(*client);  // discovers, reads, then starts the log count
  INFO(first->error);
  REQUIRE(first->up);
  CHECK(first->seconds < 3);
  CHECK_FALSE(first->temperatures.empty());
  const auto sel = [](const Snapshot& s) -> std::optional<double> {
    for (const auto& l : s.logs)
      if (l.id.ends_with("Sel")) return l.entries;
    return std::nullopt;
  };
  CHECK_FALSE(sel(*first));         // counted apart, later
  auto during = rig.poll(*client);  // while the 8 s count is in flight
  CHECK(during->up);
  CHECK(during->seconds < 3);
  CHECK_FALSE(during->temperatures.empty());
  CHECK_FALSE(sel(*during));
  rig.idle(9s);
  auto after = rig.poll(*client);
  CHECK(sel(*after) == 5.0);
}

TEST_CASE("Redfish model: after a long outage the BMC is up again within two polls",
          "[redfish][model]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/supermicro")});
  auto options = rig.options(sim);
  options.request_timeout = 500ms;
  options.backoff_initial = 200ms;
  options.backoff_max = 1h;
  auto client = redfish::Client::create(rig.io, options, nullptr);
  REQUIRE(rig.poll(*client)->up);
  sim.fault("reset");
  bool backed_off = false;
  for (int i = 0; i < 12; ++i) {  // about 5 s of outage: the back-off grows past a minute
    auto s = rig.poll(*client);
    CHECK_FALSE(s->up);
    backed_off |= s->error.find("backing off") != std::string::npos;
    rig.idle(400ms);
  }
  CHECK(backed_off);
  sim.clear_fault();
  auto s = rig.poll(*client);
  if (!s->up) s = rig.poll(*client);
  INFO(s->error);
  CHECK(s->up);
  CHECK(s->temperatures.size() == 3);
}

TEST_CASE("Redfish model: discover() joins the walk in flight and hands over one model",
          "[redfish][model]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/hgx"), nullptr, 5});
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  CHECK_FALSE(client->model());
  std::shared_ptr<const redfish::Model> a, b;
  std::string error = "unset";
  client->discover([&](auto m, std::string e) {
    a = m;
    error = e;
  });
  client->discover([&](auto m, std::string) { b = m; });
  rig.run_until([&] { return a && b && client->last_snapshot(); });
  rig.idle(500ms);  // the poll that walked it and its log count end
  CHECK(error.empty());
  CHECK(a->complete);
  CHECK(a->chassis.size() == 45);
  CHECK(a->vendor == nullptr);  // no vendor OEM on this BMC
  sim.reset_stats();
  std::shared_ptr<const redfish::Model> c;
  client->discover([&](auto m, std::string) { c = m; });
  rig.run_until([&] { return c != nullptr; });
  CHECK(c->complete);
  CHECK(sim.stat("requests") == 0);  // a complete model is handed over as it is
}

TEST_CASE("Redfish model: the server chassis of every captured BMC in ../shared/redfish-mockups",
          "[redfish][model][interop]") {
  const auto root = shared_mockups();
  if (!root) return;
  // Which chassis is the whole server, as each BMC's Links say.
  const std::map<std::string, std::string> server = {
      {"dell-idrac9", "System.Embedded.1"},
      {"dmtf-public-rackmount1", "1U"},
      {"hpe-ilo5-apollo6500-xl675d-a100", "1"},  // inside an enclosure chassis
      {"openbmc-bmcweb", "chassis"},
      {"supermicro", "1"},
  };
  for (const auto& [name, expected] : server) {
    INFO(name);
    if (!std::filesystem::is_directory(*root / name)) continue;
    Rig rig;
    BmcSim sim({(*root / name).string()});
    auto client = capture_client(rig, sim);
    auto s = rig.poll(*client);
    INFO(s->error);
    CHECK(s->up);
    auto model = client->model();
    REQUIRE(model);
    CHECK(model->complete);
    REQUIRE(model->server_chassis());
    CHECK(model->server_chassis()->id == expected);
    CHECK(count_role(*model, "server") == 1);
    CHECK_FALSE(model->managers.empty());
    CHECK_FALSE(model->systems.empty());
  }
}

TEST_CASE("Redfish model: log entries counted by $top=1 where advertised, else by one GET",
          "[redfish][model]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/hgx")});
  auto entries = [](const Snapshot& s, const std::string& id) -> std::optional<double> {
    for (const auto& l : s.logs)
      if (l.id == id) return l.entries;
    return std::nullopt;
  };
  auto options = rig.options(sim);
  options.log_interval = 0s;  // a count after every poll: the last one ends /recent
  auto counted = [&](redfish::Client& client) {
    auto s = rig.poll(client);
    for (int i = 0; i < 20 && !std::all_of(s->logs.begin(), s->logs.end(),
                                           [](const auto& l) { return l.entries; });
         ++i)
      s = rig.poll(client);
    rig.idle(300ms);
    return s;
  };
  auto lines = [&](const std::string& fragment) {
    auto recent = sim.control("GET", "/recent");
    std::size_t n = 0;
    for (auto at = recent.find(fragment); at != std::string::npos;
         at = recent.find(fragment, at + 1))
      ++n;
    return n;
  };
  SECTION("TopSkipQuery advertised: $top=1, the count from Members@odata.count") {
    auto client = redfish::Client::create(rig.io, options, nullptr);
    auto s = counted(*client);
    REQUIRE(s->logs.size() == 3);
    CHECK(entries(*s, "manager/SEL") == 37.0);
    CHECK(entries(*s, "manager/HGX_BMC_0/EventLog") == 4.0);
    CHECK(lines("Entries?$top=1") >= 3);
    CHECK(lines("Entries\"") == 0);  // never the whole collection
  }
  SECTION("no TopSkipQuery: one GET of Entries, a paged one counted by Members@odata.count") {
    edit_resource(sim, "/redfish/v1", "\"TopSkipQuery\":true", "\"TopSkipQuery\":false");
    auto client = redfish::Client::create(rig.io, options, nullptr);
    auto s = counted(*client);
    CHECK(entries(*s, "manager/SEL") == 37.0);
    CHECK(entries(*s, "manager/bmc/EventLog") == 12.0);  // 5 listed, a nextLink, 12 in all
    CHECK(lines("$top") == 0);
    CHECK(lines("Entries?$skip") == 0);  // the pages are never walked
  }
}

TEST_CASE(
    "Redfish model: the supplies' input is the server's draw where EnvironmentMetrics has none",
    "[redfish][model][psu]") {
  Rig rig;
  BmcSim sim({fixture_dir("redfish/subsystem")});
  const bool expand = GENERATE(true, false);
  INFO("$expand " << expand);
  if (!expand) without_expand(sim);
  SECTION("EnvironmentMetrics gives the draw: the supplies are never walked") {
    auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
    auto s = rig.poll(*client);
    rig.poll(*client);
    CHECK(s->power_consumed_watts == 374.0);
    CHECK(s->power_consumed_source == "chassis:1U");
    CHECK(requested(sim, "PowerSupplies") == 0);
  }
  SECTION("no PowerWatts: the present supplies' Metrics, every poll") {
    edit_resource(sim, "/redfish/v1/Chassis/1U/EnvironmentMetrics", "\"Reading\":374",
                  "\"Reading\":null");
    auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
    auto s = rig.poll(*client);
    INFO(s->error);
    REQUIRE(s->complete);
    CHECK(s->power_consumed_watts == 377.5);  // PSU1's input 201.5 + PSU2's output 176
    CHECK(s->power_consumed_source == "psu_input");
    REQUIRE(client->model());
    const auto& chassis = client->model()->chassis.at(0);
    CHECK(chassis.supply_metrics.size() == 2);  // PSU3's bay is empty: no Metrics
    auto again = rig.poll(*client);
    CHECK(again->power_consumed_watts == 377.5);
    CHECK(requested(sim, "/PowerSupplies/PSU1/Metrics") == 2);  // once per poll
    // The list once, (without $expand) each member once, two Metrics per poll.
    CHECK(requested(sim, "/PowerSupplies") == (expand ? 5u : 8u));
    CHECK(requested(sim, "PSU3") == (expand ? 0u : 1u));
  }
}

TEST_CASE("Redfish model: the DMTF capture's supplies give the draw without EnvironmentMetrics",
          "[redfish][model][psu][interop]") {
  const auto root = shared_mockups();
  if (!root) return;
  const auto capture = *root / "dmtf-public-rackmount1";
  Rig rig;
  BmcSim sim({capture.string()});
  // Its EnvironmentMetrics without the draw (as on BMCs that report only a cap there).
  edit_resource(sim, "/redfish/v1/Chassis/1U/EnvironmentMetrics", "\"Reading\":374",
                "\"Reading\":null");
  auto s = rig.poll(*capture_client(rig, sim));
  INFO(s->error);
  CHECK(s->up);
  // Bay1's InputPowerWatts; Bay2 is Absent and has no Metrics.
  CHECK(s->power_consumed_watts == 937.4);
  CHECK(s->power_consumed_source == "psu_input");
}

TEST_CASE(
    "Redfish model: without $expand, Sensors are read one by one and the steady poll stays "
    "cheap",
    "[redfish][model][sensors]") {
  Rig rig;
  BmcSim expanded_sim({fixture_dir("redfish/hgx")});
  auto expanded_client = redfish::Client::create(rig.io, rig.options(expanded_sim), nullptr);
  auto expanded = rig.poll(*expanded_client);
  REQUIRE(expanded->temperatures.size() == 17);

  BmcSim sim({fixture_dir("redfish/hgx")});
  without_expand(sim);
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  // Counted first: a log count running in the background would add requests
  // to the BMC's recent list and push one of the steady poll's out of it.
  auto first = rig.poll_counted(*client);
  INFO(first->error);
  REQUIRE(first->complete);
  // The same readings as with $expand: every chassis that only links Sensors.
  CHECK(temperatures_of(*first) == temperatures_of(*expanded));
  CHECK(fans_of(*first) == fans_of(*expanded));
  CHECK(first->power_consumed_watts == 5120.0);
  // The steady poll: the System; the server's 3 sensors + EnvironmentMetrics
  // + its Control; the baseboard's sensor + EnvironmentMetrics; per GPU its
  // temperature + EnvironmentMetrics + Control; a switch's and a CPU's
  // temperature (+ the CPU's EnvironmentMetrics); PSUs and zones 1 each.
  // The power sensors read once are not read again, the lists not at all.
  auto steady = rig.poll(*client);
  CHECK(temperatures_of(*steady) == temperatures_of(*expanded));
  REQUIRE(steady->requests == 46);  // 44 with $expand
  CHECK(requested(sim, "/Sensors/HGX_GPU_SXM_1_TEMP_0", 46) == 1);
  CHECK(requested(sim, "/Sensors/HGX_GPU_SXM_1_Power_0", 46) == 0);
  CHECK(requested(sim, "/Sensors/Total_Power", 46) == 0);
  CHECK(requested(sim, "/Sensors", 46) == 18);  // 17 temperatures and a fan, never a list

  SECTION("a sensor added later is read after the list's slow refresh") {
    auto options = rig.options(sim);
    options.slow_interval = 0ms;
    auto relisting = redfish::Client::create(rig.io, options, nullptr);
    REQUIRE(rig.poll(*relisting)->complete);
    const std::string gpu = "/redfish/v1/Chassis/HGX_GPU_SXM_1/Sensors";
    auto list = sim.resource(gpu);
    const std::string added = R"({"@odata.id":")" + gpu + R"(/HGX_GPU_SXM_1_TEMP_1"},)";
    list.insert(list.find("{\"@odata.id\"", list.find("\"Members\"")), added);
    sim.control("POST", "/resource?path=" + gpu, list);
    sim.control(
        "POST", "/resource?path=" + gpu + "/HGX_GPU_SXM_1_TEMP_1",
        R"({"@odata.id":")" + gpu +
            R"(/HGX_GPU_SXM_1_TEMP_1","Id":"HGX_GPU_SXM_1_TEMP_1",)"
            R"("Name":"GPU 1 Memory Temp","ReadingType":"Temperature","ReadingUnits":"Cel",)"
            R"("Reading":71})");
    rig.poll(*relisting);  // reads the list on the slow schedule
    auto s = rig.poll(*relisting);
    CHECK(temperatures_of(*s).contains({"HGX_GPU_SXM_1", "HGX_GPU_SXM_1_TEMP_1", 71.0}));
  }
}
