// SEL archive-then-clear against an in-process stand-in SEL with IPMI's
// reservation rule (any change cancels the reservation); the end-to-end
// version runs against ipmi_sim in tests/integration/test_policy_e2e.cpp.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "policy/sel_item.hpp"
#include "support/child.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace bmcquiet::policy;

namespace {

class FakeSel final : public SelSource {
 public:
  std::vector<SelEntry> entries;
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
  void clear(const std::string& reservation, std::function<void(ActOutcome)> done) override {
    if (reservation != std::to_string(generation))
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
  for (int round = 0; round < 6; ++round) {
    std::vector<SelEntry> batch;
    for (int i = 0; i < 5; ++i)
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
