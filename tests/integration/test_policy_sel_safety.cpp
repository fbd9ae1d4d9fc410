// Issue 13 item 1 against real parts: nothing is cleared that is not
// archived. bmcsim serves a paged SEL (fixture pages joined by
// Members@odata.nextLink), impossible counts, and a BMC that restarts between
// archive and clear and reuses its record IDs; ipmi_sim reuses record IDs
// after a clear, read back with ipmitool.
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "ipmi/client.hpp"
#include "policy/ipmi_items.hpp"
#include "policy/redfish_discovery.hpp"
#include "policy/redfish_items.hpp"
#include "policy/sel_item.hpp"
#include "support/bmcsim.hpp"
#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"
#include "support/redfish_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string kSel = "/redfish/v1/Managers/iDRAC.Embedded.1/LogServices/Sel";
const std::string kEntries = kSel + "/Entries";

std::vector<std::string> lines_of(const std::string& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::size_t count_containing(const std::vector<std::string>& lines, const std::string& part) {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.find(part) != std::string::npos;
  return n;
}

void put(const BmcSim& sim, const std::string& path, const json::value& body) {
  sim.control("POST", "/resource?path=" + path, json::serialize(body));
}

std::size_t clear_posts(const BmcSim& sim) {
  std::size_t n = 0;
  const auto writes = json::parse(sim.control("GET", "/writes"));
  for (const auto& w : writes.as_array())
    n += std::string(w.at("path").as_string()).find("ClearLog") != std::string::npos;
  return n;
}

// Entries 1..n shaped like the iDRAC's, each with its own event, served
// per_page members to a page; later pages live at Entries/Page<k> (the sim
// ignores query strings, so real BMCs' "?page=2" would alias page 1).
void install_sel(const BmcSim& sim, int n, int per_page, const std::string& event) {
  std::vector<json::object> pages(std::size_t((n + per_page - 1) / per_page));
  for (int id = 1; id <= n; ++id) {
    const auto link = kEntries + "/" + std::to_string(id);
    put(sim, link,
        json::object{{"@odata.id", link},
                     {"@odata.type", "#LogEntry.v1_9_0.LogEntry"},
                     {"Id", std::to_string(id)},
                     {"Created", "2026-01-01T00:00:0" + std::to_string(id % 10) + "Z"},
                     {"EventTimestamp", "2026-01-01T00:00:0" + std::to_string(id % 10) + "Z"},
                     {"EntryType", "SEL"},
                     {"Message", event + " " + std::to_string(id)},
                     {"Severity", "OK"}});
  }
  for (std::size_t p = 0; p < pages.size(); ++p) {
    const auto path = p == 0 ? kEntries : kEntries + "/Page" + std::to_string(p + 1);
    json::array members;
    for (int id = int(p) * per_page + 1; id <= std::min(n, int(p + 1) * per_page); ++id)
      members.push_back(json::object{{"@odata.id", kEntries + "/" + std::to_string(id)}});
    json::object page{{"@odata.id", path}, {"Name", "Log Entries"}, {"Members", members}};
    if (p == 0) page["Members@odata.count"] = n;
    if (p + 1 < pages.size())
      page["Members@odata.nextLink"] = kEntries + "/Page" + std::to_string(p + 2);
    put(sim, path, page);
  }
}

void edit(const BmcSim& sim, const std::string& path, const std::function<void(json::object&)>& f) {
  auto body = json::parse(sim.resource(path)).as_object();
  f(body);
  put(sim, path, body);
}

struct SelRig {
  RedfishRig rig;
  BmcSim sim{{fixture_dir("redfish/dell")}};
  std::string state = rig.dir.path() + "/state";
  std::string archive = state + "/sel-archive.jsonl";

  std::shared_ptr<policy::ItemBackend> item(std::function<void()> after_archive = nullptr) {
    auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
    return policy::make_sel_backend(policy::make_redfish_sel(client, kSel),
                                    {0.5, state, 1 << 20, 2, std::move(after_archive)});
  }
  policy::ActOutcome act(policy::ItemBackend& b) {
    std::optional<policy::ActOutcome> out;
    b.act([&](policy::ActOutcome o) { out = std::move(o); });
    rig.run_until([&] { return out.has_value(); });
    return *out;
  }
  policy::Observation observe(policy::ItemBackend& b) {
    std::optional<policy::Observation> out;
    b.observe([&](policy::Observation o) { out = std::move(o); });
    rig.run_until([&] { return out.has_value(); });
    return *out;
  }
};

}  // namespace

TEST_CASE("paged Redfish SEL: every page is archived before ClearLog", "[policy][sel][e2e]") {
  SelRig r;
  install_sel(r.sim, 7, 3, "paged event");  // pages of 3, 3, 1
  edit(r.sim, kSel, [](json::object& l) { l["MaxNumberOfRecords"] = 8; });
  auto item = r.item();
  auto seen = r.observe(*item);
  CHECK(seen.current == "7/8 (88%)");
  auto outcome = r.act(*item);
  INFO(outcome.error);
  REQUIRE(outcome.ok);
  auto lines = lines_of(r.archive);
  CHECK(lines.size() == 7);
  for (int id = 1; id <= 7; ++id)
    CHECK(count_containing(lines, "\"Message\":\"paged event " + std::to_string(id) + "\"") == 1);
  // Every timestamp the BMC gave is kept.
  CHECK(count_containing(lines, "\"EventTimestamp\":\"2026-01-01T00:00:07Z\"") == 1);
  CHECK(count_containing(lines, "\"Created\":") == 7);
  CHECK(clear_posts(r.sim) == 1);
}

namespace {

std::size_t requests_for(const BmcSim& sim, const std::string& part) {
  const auto recent = json::parse(sim.control("GET", "/recent"));
  std::size_t n = 0;
  for (const auto& line : recent.as_array())
    n += std::string(line.as_string()).find(part) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("bmcweb-style paging: nextLink with ?$skip= is followed to the last page",
          "[policy][sel][e2e]") {
  SelRig r;
  install_sel(r.sim, 7, 100, "bmcweb event");
  r.sim.control("POST", "/page_size", R"({"members":3})");
  auto item = r.item();
  auto outcome = r.act(*item);
  INFO(outcome.error);
  REQUIRE(outcome.ok);
  auto lines = lines_of(r.archive);
  CHECK(lines.size() == 7);
  CHECK(count_containing(lines, "bmcweb event 7") == 1);
  CHECK(requests_for(r.sim, "Entries?$skip=6") == 2);  // the read and the check before the clear
  CHECK(clear_posts(r.sim) == 1);
}

TEST_CASE("a BMC that truncates pages without a nextLink: $skip where advertised, else no clear",
          "[policy][sel][e2e]") {
  SelRig r;
  install_sel(r.sim, 7, 100, "event");
  r.sim.control("POST", "/page_size", R"({"members":3,"next_link":false})");
  auto client = redfish::Client::create(r.rig.io, r.rig.options(r.sim), nullptr);
  const bool top_skip = GENERATE(true, false);
  policy::SelLogSpec spec{kSel, kEntries, 8.0, top_skip, 10min};
  auto item = policy::make_sel_backend(policy::make_redfish_sel(client, spec),
                                       {0.5, r.state, 1 << 20, 2, nullptr});
  auto outcome = r.act(*item);
  if (top_skip) {
    INFO(outcome.error);
    CHECK(outcome.ok);
    CHECK(lines_of(r.archive).size() == 7);
    CHECK(requests_for(r.sim, "Entries?$skip=6") == 2);
    CHECK(clear_posts(r.sim) == 1);
  } else {
    CHECK_FALSE(outcome.ok);
    CHECK_THAT(outcome.error, Catch::Contains("read 3 entries on 1 page(s) but the log counts 7"));
    CHECK(clear_posts(r.sim) == 0);
  }
}

TEST_CASE("paging that cannot be trusted stops the clear and says where", "[policy][sel][e2e]") {
  SelRig r;
  install_sel(r.sim, 7, 3, "event");
  std::string expected;
  SECTION("the last page links back to page 2") {
    edit(r.sim, kEntries + "/Page3",
         [](json::object& p) { p["Members@odata.nextLink"] = kEntries + "/Page2"; });
    expected = "leads back to " + kEntries + "/Page2";
  }
  SECTION("the pages hold fewer entries than the count") {
    edit(r.sim, kEntries, [](json::object& p) { p["Members@odata.count"] = 9; });
    expected = kEntries + ": read 7 entries on 3 page(s) but the log counts 9";
  }
  SECTION("a nextLink off the BMC") {
    edit(r.sim, kEntries + "/Page2", [](json::object& p) {
      p["Members@odata.nextLink"] = "https://elsewhere.example/redfish/v1/x";
    });
    expected = "is not a path on this BMC";
  }
  auto item = r.item();
  auto outcome = r.act(*item);
  CHECK_FALSE(outcome.ok);
  CHECK_THAT(outcome.error, Catch::Contains(expected));
  CHECK(clear_posts(r.sim) == 0);
  CHECK(json::parse(r.sim.resource(kEntries)).at("Members").as_array().size() == 3);
}

TEST_CASE("an impossible count or capacity is an error, never a clear", "[policy][sel][e2e]") {
  SelRig r;
  edit(r.sim, kSel, [](json::object& l) { l["MaxNumberOfRecords"] = 6; });
  std::string expected;
  SECTION("Members@odata.count -1") {
    edit(r.sim, kEntries, [](json::object& c) { c["Members@odata.count"] = -1; });
    expected = "Members@odata.count -1 is not a whole number";
  }
  SECTION("a fractional count") {
    edit(r.sim, kEntries, [](json::object& c) { c["Members@odata.count"] = 4.5; });
    expected = "Members@odata.count 4.5 is not a whole number";
  }
  SECTION("an absurd count") {
    edit(r.sim, kEntries, [](json::object& c) { c["Members@odata.count"] = 1e19; });
    expected = "is not a whole number from 0 to";
  }
  SECTION("a count that is a string") {
    edit(r.sim, kEntries, [](json::object& c) { c["Members@odata.count"] = "5"; });
    expected = "\"5\" is not a number";
  }
  SECTION("a negative capacity") {
    edit(r.sim, kSel, [](json::object& l) { l["MaxNumberOfRecords"] = -1; });
    expected = "MaxNumberOfRecords -1 is not a whole number from 1";
  }
  auto item = r.item();
  auto seen = r.observe(*item);
  CHECK(seen.status == policy::Observation::Status::error);
  CHECK_THAT(seen.detail, Catch::Contains(expected));
  if (expected.find("Capacity") == std::string::npos &&
      expected.find("MaxNumberOfRecords") == std::string::npos) {
    auto outcome = r.act(*item);  // enforce forced anyway: still no clear
    CHECK_FALSE(outcome.ok);
    CHECK_THAT(outcome.error, Catch::Contains(kEntries));
  }
  CHECK(clear_posts(r.sim) == 0);
}

TEST_CASE("through the discovered model: a negative capacity is an error naming the URL",
          "[policy][sel][e2e][model]") {
  SelRig r;
  edit(r.sim, kSel, [](json::object& l) { l["MaxNumberOfRecords"] = -1; });
  auto client = redfish::Client::create(r.rig.io, r.rig.options(r.sim), nullptr);
  std::optional<policy::BmcSupport> d;
  policy::discover_redfish(client, {}, {0.5, r.state, 1 << 20, 2, nullptr},
                           [&](policy::BmcSupport found) { d = std::move(found); });
  r.rig.run_until([&] { return d.has_value(); });
  REQUIRE(d->backends.count(policy::ItemId::sel));
  auto seen = r.observe(*d->backends.at(policy::ItemId::sel));
  CHECK(seen.status == policy::Observation::Status::error);
  CHECK_THAT(seen.detail, Catch::Contains(kSel + ": MaxNumberOfRecords -1"));
  CHECK_THAT(seen.detail, Catch::Contains("nothing is cleared"));
}

TEST_CASE(
    "a BMC restart between archive and clear that reuses record IDs: no clear, then both "
    "generations archived",
    "[policy][sel][e2e]") {
  SelRig r;
  install_sel(r.sim, 5, 50, "before restart");
  bool restarted = false;
  auto item = r.item([&] {
    if (restarted) return;
    restarted = true;
    r.sim.control("POST", "/reboot");            // sessions and connections gone
    install_sel(r.sim, 5, 50, "after restart");  // IDs 1..5 again, other events
  });
  auto first = r.act(*item);
  CHECK_FALSE(first.ok);
  CHECK_THAT(first.error, Catch::Contains("changed since it was archived"));
  CHECK_THAT(first.error, Catch::Contains("5 of them not archived"));
  CHECK(clear_posts(r.sim) == 0);
  CHECK(lines_of(r.archive).size() == 5);

  auto second = r.act(*item);  // the next pass
  INFO(second.error);
  REQUIRE(second.ok);
  auto lines = lines_of(r.archive);
  CHECK(lines.size() == 10);
  CHECK(count_containing(lines, "before restart") == 5);
  CHECK(count_containing(lines, "after restart") == 5);
  CHECK(clear_posts(r.sim) == 1);
}

TEST_CASE("an entry that arrives between archive and clear stops the clear", "[policy][sel][e2e]") {
  SelRig r;
  install_sel(r.sim, 4, 50, "first");
  bool added = false;
  auto item = r.item([&] {
    if (!added) install_sel(r.sim, 5, 50, "first");  // entry 5 appears
    added = true;
  });
  auto first = r.act(*item);
  CHECK_FALSE(first.ok);
  CHECK_THAT(first.error, Catch::Contains("4 entries archived for this clear, 5 now"));
  CHECK(clear_posts(r.sim) == 0);
  REQUIRE(r.act(*item).ok);
  CHECK(lines_of(r.archive).size() == 5);
}

TEST_CASE("the real iDRAC capture: inlined entries archived whole, with every field",
          "[policy][sel][e2e][capture]") {
  auto mockups = shared_mockups();
  if (!mockups) return;
  RedfishRig rig;
  BmcSim sim({(*mockups / "dell-idrac9").string()});
  const auto state = rig.dir.path() + "/state";
  auto client = redfish::Client::create(rig.io, rig.options(sim), nullptr);
  auto item = policy::make_sel_backend(policy::make_redfish_sel(client, kSel),
                                       {0.05, state, 1 << 20, 2, nullptr});
  sim.reset_stats();
  std::optional<policy::ActOutcome> outcome;
  item->act([&](policy::ActOutcome o) { outcome = o; });
  rig.run_until([&] { return outcome.has_value(); });
  INFO(outcome->error);
  REQUIRE(outcome->ok);
  auto lines = lines_of(state + "/sel-archive.jsonl");
  CHECK(lines.size() == 5);
  CHECK(count_containing(lines, "\"GeneratorId\":\"0x00b1\"") >= 1);
  CHECK(count_containing(lines, "\"Created\":\"2024-06-11T00:13:00-05:00\"") >= 1);
  // Members come inlined: read, re-read before the clear, no GET per entry.
  CHECK(requests_for(sim, "/Sel/Entries/") == 0);
}

namespace {

std::shared_ptr<ipmi::Client> ipmi_client(boost::asio::io_context& io, const IpmiSim& sim) {
  return ipmi::Client::create(io, sim.client_config(), nullptr);
}

// Add SEL Entry with an OEM non-timestamped record (type 0xE0): no timestamp
// the archive could tell two generations apart by.
void add_oem_record(const IpmiSim& sim, int marker) {
  auto r = run_command(sim.ipmitool(fmt::format(
      "raw 0x0a 0x44 0x00 0x00 0xe0 0x{:02x} 0x11 0x22 0x33 0x44 0x55 0x66 0x77 0x88 0x99 0xaa "
      "0xbb 0xcc",
      marker)));
  REQUIRE(r.exit_code == 0);
}

policy::ActOutcome act_ipmi(const IpmiSim& sim, const std::string& state,
                            std::function<void()> after_archive = nullptr) {
  boost::asio::io_context io;
  auto item = policy::make_sel_backend(policy::make_ipmi_sel(ipmi_client(io, sim)),
                                       {0.01, state, 1 << 20, 2, std::move(after_archive)});
  std::optional<policy::ActOutcome> out;
  item->act([&](policy::ActOutcome o) { out = o; });
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (!out && std::chrono::steady_clock::now() < until) {
    if (io.stopped()) io.restart();
    io.run_one_for(50ms);
  }
  REQUIRE(out);
  return *out;
}

// ipmi_sim holding OEM records 1..3, or null (with a WARN) where it is missing.
std::unique_ptr<IpmiSim> sim_with_oem_records() {
  if (auto why = IpmiSim::unavailable(); !why.empty()) {
    WARN("SKIPPED: " << why);
    return nullptr;
  }
  auto sim = std::make_unique<IpmiSim>(0);
  REQUIRE(sim->start());
  for (int i = 1; i <= 3; ++i) add_oem_record(*sim, i);
  return sim;
}

}  // namespace

TEST_CASE("IPMI: record IDs reused after a clear, OEM records without a timestamp, all archived",
          "[policy][sel][ipmi_sim]") {
  auto bmc = sim_with_oem_records();
  if (!bmc) return;
  auto& sim = *bmc;
  TempDir state;
  const auto archive = state.path() + "/sel-archive.jsonl";
  const auto listed_before = run_command(sim.ipmitool("sel elist")).output;
  auto first = act_ipmi(sim, state.path());
  INFO(first.error);
  REQUIRE(first.ok);
  CHECK_THAT(run_command(sim.ipmitool("sel list")).output, Catch::Contains("no entries"));

  // A BMC restart: ipmi_sim numbers an empty SEL from 1 again, like many BMCs.
  sim.stop();
  REQUIRE(sim.start());
  for (int i = 0x41; i <= 0x43; ++i) add_oem_record(sim, i);  // a new generation
  // A timestamped system event record, added the same way.
  REQUIRE(run_command(sim.ipmitool("raw 0x0a 0x44 0x00 0x00 0x02 0x00 0xa2 0x45 0x67 0x20 0x00 "
                                   "0x04 0x01 0x01 0x01 0x52 0x01 0x70"))
              .exit_code == 0);
  const auto listed_after = run_command(sim.ipmitool("sel elist")).output;
  INFO(listed_before << "\n---\n" << listed_after);
  std::ostringstream journal;  // the journal copy, in its console form
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "sel", std::make_shared<spdlog::sinks::ostream_sink_mt>(journal)));
  auto second = act_ipmi(sim, state.path());
  spdlog::set_default_logger(previous);
  INFO(second.error);
  REQUIRE(second.ok);
  CHECK_THAT(journal.str(),
             Catch::Contains("SEL entry 1 archived (ipmi): type=OEM non-timestamped "
                             "record_type=0xe0 raw=0100e041112233445566778899aabbcc"));
  // ipmi_sim stamps the record with its own clock (seconds since it started).
  CHECK_THAT(journal.str(), Catch::Contains("type=system event record_type=0x02 time="));
  CHECK_THAT(journal.str(), Catch::Contains("sensor_type=0x01 sensor_number=0x01 event=assertion "
                                            "event_type=0x01 event_data=520170 raw="));
  auto lines = lines_of(archive);
  REQUIRE(lines.size() == 7);
  CHECK(count_containing(lines, "\"type\":\"OEM non-timestamped\"") == 6);
  CHECK(count_containing(lines, "\"type\":\"system event\"") == 1);
  CHECK(count_containing(lines, "e04111223344") == 1);  // raw bytes of the second generation
  CHECK(count_containing(lines, "e00111223344") == 1);
  CHECK(count_containing(lines, "\"raw\":\"") == 7);
  CHECK(count_containing(lines, "\"record_id\":\"1\"") == 2);  // the ID was reused
}

TEST_CASE("IPMI: a BMC restart between archive and clear cancels the clear",
          "[policy][sel][ipmi_sim]") {
  auto bmc = sim_with_oem_records();
  if (!bmc) return;
  auto& sim = *bmc;
  TempDir state;
  auto outcome = act_ipmi(sim, state.path(), [&] {
    sim.stop();
    REQUIRE(sim.start());
  });
  INFO(outcome.error);
  const auto listed = run_command(sim.ipmitool("sel list")).output;
  INFO(listed);
  CHECK_FALSE(outcome.ok);  // the session (or the reservation) died with the BMC
  CHECK_THAT(listed, Catch::Contains("03112233445566778899aabbcc"));  // still there
  auto next = act_ipmi(sim, state.path());  // the next pass, on a new session
  INFO(next.error);
  CHECK(next.ok);
  CHECK(lines_of(state.path() + "/sel-archive.jsonl").size() == 3);  // nothing twice
  CHECK_THAT(run_command(sim.ipmitool("sel list")).output, Catch::Contains("no entries"));
}
