// SEL archive-then-clear against an in-process stand-in SEL with IPMI's
// reservation rule (any change cancels the reservation); the end-to-end
// version runs against ipmi_sim in tests/integration/test_policy_e2e.cpp.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/config_section.hpp"
#include "policy/sel_item.hpp"
#include "policy/settings.hpp"
#include "support/child.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace bmcquiet::policy;
using namespace std::chrono_literals;

namespace {

class FakeSel final : public SelSource {
 public:
  std::vector<ArchiveEntry> entries;
  std::uint64_t capacity = 10;
  int generation = 0;  // bumped by every add or clear
  int clears = 0;
  std::function<void()> during_read;  // something the BMC does meanwhile

  void add(int id) {
    entries.push_back({std::to_string(id),
                       "2026-11-24T10:00:" + std::to_string(10 + id) + "Z",
                       {{"Message", "event " + std::to_string(id)}}});
    ++generation;
  }
  std::string transport() const override { return "fake-sel"; }
  void fill(std::function<void(SelFill)> done) override { done({"", entries.size(), capacity}); }
  void reserve_and_read(std::function<void(SelRead)> done) override {
    SelRead r;
    r.reservation = std::to_string(generation);
    r.entries = entries;
    if (during_read) during_read();
    done(std::move(r));
  }
  void clear(const SelRead& archived, std::function<void(ActOutcome)> done) override {
    if (archived.reservation != std::to_string(generation))
      return done(ActOutcome::failure("reservation cancelled"));
    entries.clear();
    ++generation;
    ++clears;
    done(ActOutcome::success());
  }
};

std::vector<std::string> archive_lines(const std::string& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

ActOutcome act(ItemBackend& b) {
  ActOutcome out = ActOutcome::failure("not called");
  b.act([&](ActOutcome o) { out = std::move(o); });
  return out;
}

Observation observe(ItemBackend& b) {
  Observation out;
  b.observe([&](Observation o) { out = std::move(o); });
  return out;
}

}  // namespace

TEST_CASE("SEL fill is compared with the ratio, then archived and cleared", "[policy][sel]") {
  test::TempDir dir;
  auto sel = std::make_shared<FakeSel>();
  for (int i = 1; i <= 8; ++i) sel->add(i);
  auto item = make_sel_backend(sel, {0.75, dir.path(), 1 << 20, 2, nullptr});
  auto o = observe(*item);
  CHECK(o.status == Observation::Status::drifted);
  CHECK(o.current == "8/10 (80%)");
  REQUIRE(act(*item).ok);
  CHECK(sel->entries.empty());
  auto lines = archive_lines(dir.path() + "/sel-archive.jsonl");
  REQUIRE(lines.size() == 8);
  CHECK(lines[0].find("\"record_id\":\"1\"") != std::string::npos);
  CHECK(lines[0].find("\"Message\":\"event 1\"") != std::string::npos);
  CHECK(lines[0].find("\"source\":\"fake-sel\"") != std::string::npos);
  CHECK(observe(*item).status == Observation::Status::compliant);
}

TEST_CASE("an entry added after the reservation makes the clear fail, not vanish",
          "[policy][sel]") {
  test::TempDir dir;
  auto sel = std::make_shared<FakeSel>();
  for (int i = 1; i <= 8; ++i) sel->add(i);
  sel->during_read = [&] {
    sel->during_read = nullptr;
    sel->add(9);
  };
  auto item = make_sel_backend(sel, {0.75, dir.path(), 1 << 20, 2, nullptr});
  CHECK_FALSE(act(*item).ok);
  CHECK(sel->entries.size() == 9);  // nothing cleared
  REQUIRE(act(*item).ok);           // the next pass archives the newcomer too
  auto lines = archive_lines(dir.path() + "/sel-archive.jsonl");
  CHECK(lines.size() == 9);  // 8 from the first read, only #9 from the second
  CHECK(sel->clears == 1);
}

TEST_CASE("a crash between archive and clear loses nothing and duplicates nothing",
          "[policy][sel]") {
  test::TempDir dir;
  auto sel = std::make_shared<FakeSel>();
  for (int i = 1; i <= 8; ++i) sel->add(i);
  // The injected crash: the process dies right after the archive is durable.
  REQUIRE(test::run_in_child([&] {
            auto item = make_sel_backend(sel, {0.75, dir.path(), 1 << 20, 2, [] { ::_exit(42); }});
            act(*item);
          }) == 42);
  CHECK(archive_lines(dir.path() + "/sel-archive.jsonl").size() == 8);
  CHECK(sel->entries.size() == 8);  // the SEL was not cleared

  auto item = make_sel_backend(sel, {0.75, dir.path(), 1 << 20, 2, nullptr});
  REQUIRE(act(*item).ok);  // after the restart: archive again (deduplicated), then clear
  CHECK(archive_lines(dir.path() + "/sel-archive.jsonl").size() == 8);
  CHECK(sel->entries.empty());
}

TEST_CASE("the archive rotates by size and keeps N old files", "[policy][sel]") {
  test::TempDir dir;
  SelArchive archive(dir.path(), 1024, 2);
  for (int round = 0; round < 8; ++round) {
    std::vector<ArchiveEntry> batch;  // ~940 bytes: each line carries its content hash
    for (int i = 0; i < 4; ++i)
      batch.push_back({std::to_string(round * 10 + i), "t", {{"Message", std::string(40, 'x')}}});
    REQUIRE(archive.append(batch, "fake").error.empty());
  }
  namespace fs = std::filesystem;
  CHECK(fs::exists(dir.path() + "/sel-archive.jsonl"));
  CHECK(fs::exists(dir.path() + "/sel-archive.jsonl.1"));
  CHECK(fs::exists(dir.path() + "/sel-archive.jsonl.2"));
  CHECK_FALSE(fs::exists(dir.path() + "/sel-archive.jsonl.3"));
  CHECK(fs::file_size(dir.path() + "/sel-archive.jsonl") <= 1024);
}

TEST_CASE("an unwritable archive stops the clear", "[policy][sel]") {
  test::TempDir dir;
  dir.write("blocker", "a file where the archive directory should be");
  auto sel = std::make_shared<FakeSel>();
  for (int i = 1; i <= 8; ++i) sel->add(i);
  auto item = make_sel_backend(sel, {0.75, dir.path() + "/blocker/sub", 1 << 20, 2, nullptr});
  auto out = act(*item);
  CHECK_FALSE(out.ok);
  CHECK(out.error.find("blocker") != std::string::npos);
  CHECK(sel->entries.size() == 8);
}

namespace {

// What the BMC holds after a restart that reused record IDs 1..n: other events.
void restart_with_reused_ids(FakeSel& sel, int n, const std::string& timestamp) {
  sel.entries.clear();
  for (int id = 1; id <= n; ++id)
    sel.entries.push_back(
        {std::to_string(id), timestamp, {{"Message", "after restart " + std::to_string(id)}}});
  ++sel.generation;
}

std::size_t lines_containing(const std::string& file, const std::string& fragment) {
  std::size_t n = 0;
  for (const auto& l : archive_lines(file)) n += l.find(fragment) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("reused record IDs with other content are archived, not dropped as seen",
          "[policy][sel]") {
  test::TempDir dir;
  const auto file = dir.path() + "/sel-archive.jsonl";
  auto sel = std::make_shared<FakeSel>();
  for (int i = 1; i <= 8; ++i) sel->add(i);
  auto item = make_sel_backend(sel, {0.75, dir.path(), 1 << 20, 2, nullptr});
  REQUIRE(act(*item).ok);

  SECTION("same IDs and timestamps (a BMC whose clock restarted), other events") {
    for (int i = 1; i <= 8; ++i)
      sel->entries.push_back({std::to_string(i),
                              "2026-11-24T10:00:" + std::to_string(10 + i) + "Z",
                              {{"Message", "after restart " + std::to_string(i)}}});
    ++sel->generation;
  }
  SECTION("OEM records without a timestamp") { restart_with_reused_ids(*sel, 8, ""); }
  REQUIRE(act(*item).ok);
  CHECK(sel->clears == 2);
  CHECK(archive_lines(file).size() == 16);
  CHECK(lines_containing(file, "after restart") == 8);
}

TEST_CASE("the same OEM record without a timestamp read twice is archived once", "[policy][sel]") {
  test::TempDir dir;
  SelArchive archive(dir.path(), 1 << 20, 2);
  std::vector<ArchiveEntry> batch{
      {"3", "", {{"raw", "0300e0aa"}, {"type", "OEM non-timestamped"}}}};
  REQUIRE(archive.append(batch, "ipmi").written == 1);
  // Field order is the BMC's, not part of the identity.
  std::vector<ArchiveEntry> again{
      {"3", "", {{"type", "OEM non-timestamped"}, {"raw", "0300e0aa"}}}};
  auto second = archive.append(again, "ipmi");
  CHECK(second.written == 0);
  CHECK(second.duplicates == 1);
  CHECK(content_identity(batch[0]) == content_identity(again[0]));
  CHECK(content_identity(batch[0]).size() == 64);
}

TEST_CASE("a crash during the archive write: the torn line stays alone, entries rewritten",
          "[policy][sel]") {
  test::TempDir dir;
  const auto file = dir.path() + "/sel-archive.jsonl";
  auto sel = std::make_shared<FakeSel>();
  for (int i = 1; i <= 8; ++i) sel->add(i);
  // What a process killed mid-write leaves: the first entry's line cut short.
  REQUIRE(test::run_in_child([&] {
            SelArchive archive(dir.path(), 1 << 20, 2);
            archive.append({sel->entries[0]}, "fake-sel");
            auto content = archive_lines(file).at(0);
            std::ofstream(file, std::ios::trunc) << content.substr(0, content.size() / 2);
            ::_exit(43);
          }) == 43);
  CHECK(sel->entries.size() == 8);

  auto item = make_sel_backend(sel, {0.75, dir.path(), 1 << 20, 2, nullptr});
  REQUIRE(act(*item).ok);
  auto lines = archive_lines(file);
  REQUIRE(lines.size() == 9);  // the torn line, then all eight entries whole
  CHECK(lines[1].find("\"record_id\":\"1\"") != std::string::npos);
  CHECK(lines[1].rfind("{\"archived_at\"", 0) == 0);
  CHECK(lines_containing(file, "content_sha256") == 8);
  CHECK(sel->entries.empty());
}

TEST_CASE("an unknown or impossible fill never clears", "[policy][sel]") {
  test::TempDir dir;
  auto sel = std::make_shared<FakeSel>();
  for (int i = 1; i <= 8; ++i) sel->add(i);
  SECTION("a NaN ratio set programmatically") {
    auto item = make_sel_backend(sel, {std::nan(""), dir.path(), 1 << 20, 2, nullptr});
    auto o = observe(*item);
    CHECK(o.status == Observation::Status::error);
    CHECK(o.detail.find("max_fill_ratio") != std::string::npos);
  }
  SECTION("more entries than the capacity") {
    sel->capacity = 4;
    auto item = make_sel_backend(sel, {0.75, dir.path(), 1 << 20, 2, nullptr});
    auto o = observe(*item);
    CHECK(o.status == Observation::Status::error);
    CHECK(o.detail.find("8 SEL entries but a capacity of 4") != std::string::npos);
  }
  CHECK(sel->clears == 0);
}

namespace {

// The issues read_policy_settings finds in the sel item's YAML.
std::vector<ConfigIssue> sel_config_issues(const std::string& sel_yaml, PolicySettings* out) {
  auto diag = std::make_shared<ConfigDiagnostics>("/etc/bmcquiet/bmcquiet.yaml");
  auto root =
      ConfigSection::parse("items:\n  power_cap: {mode: report}\n  sel:\n" + sel_yaml, diag);
  *out = read_policy_settings(root);
  root.finish();
  return diag->issues();
}

}  // namespace

TEST_CASE("NaN and infinity are rejected in every number of the config, with file:line",
          "[policy][sel][config]") {
  PolicySettings defaults, s;
  for (const char* value : {".nan", ".NaN", ".inf", "-.inf"}) {
    INFO(value);
    auto issues = sel_config_issues(std::string("    max_fill_ratio: ") + value + "\n", &s);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].line == 4);
    CHECK(issues[0].key == "items.sel.max_fill_ratio");
    CHECK(issues[0].message.find("not a finite number") != std::string::npos);
    CHECK(issues[0].str().find("/etc/bmcquiet/bmcquiet.yaml:4") != std::string::npos);
    CHECK(s.sel_max_fill_ratio == defaults.sel_max_fill_ratio);
  }
  auto diag = std::make_shared<ConfigDiagnostics>("t.yaml");
  auto root =
      ConfigSection::parse("floor_watts: .nan\nwindow: nans\nlong: infh\nhuge: 1e300h\n", diag);
  CHECK(root.get_double("floor_watts", 7, 0, 100000) == 7);
  CHECK(root.get_duration("window", 1s, 0s, 24h) == 1s);
  CHECK(root.get_duration("long", 1s, 0s, 24h) == 1s);
  CHECK(root.get_duration("huge", 1s, 0s, 24h) == 1s);
  CHECK(diag->issues().size() == 4);
  CHECK_FALSE(parse_duration("nan s"));
  CHECK_FALSE(parse_duration("infs"));
  CHECK(parse_duration("1.5s") == std::chrono::milliseconds(1500));
}
