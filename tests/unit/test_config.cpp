#include <sys/stat.h>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "metrics/metrics.hpp"
#include "service/setup.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace std::chrono_literals;

namespace {

struct Loaded {
  boost::asio::io_context io;
  Metrics metrics;
  SetupResult result;
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const auto& i : result.diagnostics->issues()) out.push_back(i.str());
    return out;
  }
};

std::unique_ptr<Loaded> load(const std::string& text, CliOverrides cli = {}) {
  auto l = std::make_unique<Loaded>();
  l->result = build_setup_from_text(text, "test.yaml", cli, l->io, l->metrics);
  return l;
}

const ScheduledCollector* find_collector(const DaemonSetup& plan, const std::string& name) {
  for (const auto& c : plan.collectors)
    if (c.name == name) return &c;
  return nullptr;
}

bool any_contains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("the shipped default config is valid and matches the built-in defaults") {
  auto text = test::read_file(std::string(BMCQUIET_SOURCE_DIR) + "/config/bmcquiet.yaml");
  auto shipped = load(text);
  INFO(shipped->result.diagnostics->summary());
  REQUIRE(shipped->result.setup);
  auto empty = load("");
  REQUIRE(empty->result.setup);
  CHECK(shipped->result.setup->config.listen == empty->result.setup->config.listen);
  CHECK(shipped->result.setup->config.listen == "127.0.0.1:19100");
  CHECK(shipped->result.setup->collectors.size() == empty->result.setup->collectors.size());
  for (std::size_t i = 0; i < shipped->result.setup->collectors.size(); ++i) {
    CHECK(shipped->result.setup->collectors[i].name == empty->result.setup->collectors[i].name);
    CHECK(shipped->result.setup->collectors[i].interval ==
          empty->result.setup->collectors[i].interval);
  }
}

TEST_CASE("a good config sets what it says") {
  auto l = load(R"(
exporter:
  listen: 0.0.0.0:9999
paths:
  procfs: /host/proc
log:
  level: debug
cpus:
  isolated: 2-5,7
collectors:
  interrupts:
    interval: 250ms
    per_cpu: true
)");
  INFO(l->result.diagnostics->summary());
  REQUIRE(l->result.setup);
  const auto& c = l->result.setup->config;
  CHECK(c.listen == "0.0.0.0:9999");
  CHECK(c.paths.procfs == "/host/proc");
  CHECK(c.paths.sysfs == "/sys");
  CHECK(c.log_level == "debug");
  CHECK(*c.cpus.isolated == CpuSet{2, 3, 4, 5, 7});
  CHECK_FALSE(c.cpus.housekeeping);
  auto interrupts = find_collector(*l->result.setup, "interrupts");
  REQUIRE(interrupts);
  CHECK(interrupts->interval == 250ms);
}

TEST_CASE("command-line overrides win over the file") {
  CliOverrides cli;
  cli.listen = "127.0.0.1:1234";
  cli.sysfs = "/fake/sys";
  auto l = load("exporter: {listen: 127.0.0.1:5}\npaths: {sysfs: /x}\n", cli);
  REQUIRE(l->result.setup);
  CHECK(l->result.setup->config.listen == "127.0.0.1:1234");
  CHECK(l->result.setup->config.paths.sysfs == "/fake/sys");
}

TEST_CASE("an unknown key is an error with its position and the allowed keys") {
  auto l =
      load("exporter:\n  listen: 127.0.0.1:1\ncollectors:\n  interrupts:\n    intervall: 5s\n");
  REQUIRE_FALSE(l->result.setup);
  auto m = l->messages();
  REQUIRE(m.size() == 1);
  CHECK(m[0].find("test.yaml:5:5: collectors.interrupts.intervall: unknown key") == 0);
  CHECK(m[0].find("interval") != std::string::npos);
  CHECK(m[0].find("enabled") != std::string::npos);
}

TEST_CASE("an unknown collector and an unknown top-level key are errors") {
  auto l = load("collectorz: {}\ncollectors:\n  smi_typo: {enabled: true}\n");
  REQUIRE_FALSE(l->result.setup);
  auto m = l->messages();
  CHECK(any_contains(m, "test.yaml:1:1: collectorz: unknown key"));
  CHECK(any_contains(m, "test.yaml:3:3: collectors.smi_typo: unknown key; allowed here: "));
  CHECK(any_contains(m, "interrupts, "));
}

TEST_CASE("type and range errors say what is allowed") {
  auto l = load(R"(
log:
  level: loud
collectors:
  interrupts:
    enabled: maybe
    interval: 5
    per_cpu: [1]
exporter:
  listen: localhost
cpus:
  isolated: 3-1
)");
  REQUIRE_FALSE(l->result.setup);
  auto m = l->messages();
  CHECK(any_contains(m,
                     "test.yaml:3:10: log.level: 'loud' is not allowed; allowed: trace, debug, "
                     "info, warn, error"));
  CHECK(any_contains(m, "collectors.interrupts.enabled: expected true or false, got 'maybe'"));
  CHECK(any_contains(m, "test.yaml:7:15: collectors.interrupts.interval: '5' is not a duration"));
  CHECK(any_contains(m, "collectors.interrupts.per_cpu: expected true or false, got a list"));
  CHECK(any_contains(m, "exporter.listen: 'localhost'"));
  CHECK(any_contains(m, "cpus.isolated: '3-1' is not a CPU list"));
  CHECK(m.size() == 6);
}

TEST_CASE("a CPU id above the kernel's limit is a config error with its position") {
  auto l = load("cpus:\n  isolated: 2147483647\n  housekeeping: 0-9000\n");
  REQUIRE_FALSE(l->result.setup);
  auto m = l->messages();
  CHECK(any_contains(m, "test.yaml:2:13: cpus.isolated: '2147483647' is not a CPU list"));
  CHECK(any_contains(m, "cpus.housekeeping: '0-9000' is not a CPU list"));
  CHECK(any_contains(m, "CPU ids 0 to 8191"));
}

TEST_CASE("durations out of range and empty values are errors") {
  auto l = load("collectors:\n  interrupts:\n    interval: 1ms\n    per_cpu:\n");
  REQUIRE_FALSE(l->result.setup);
  auto m = l->messages();
  CHECK(any_contains(m, "collectors.interrupts.interval: 1ms is out of range"));
  CHECK(any_contains(m, "collectors.interrupts.per_cpu: has no value"));
}

TEST_CASE("a YAML syntax error names its line") {
  auto l = load("exporter:\n  listen: [unclosed\n");
  REQUIRE_FALSE(l->result.setup);
  CHECK(any_contains(l->messages(), "test.yaml:3:1: YAML syntax error"));
}

TEST_CASE("an alias inside its own anchor, deep nesting or alias bombs are errors, not a crash") {
  // Found by tests/fuzz/config.cpp: the cycle overflowed the stack on load.
  std::string deep = "bmc:\n  x: ";
  for (int i = 0; i < 40; ++i) deep += "[";
  for (int i = 0; i < 40; ++i) deep += "]";
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 8; ++i)
    bomb += fmt::format("a{}: &a{} [*a{}, *a{}, *a{}, *a{}, *a{}, *a{}, *a{}, *a{}, *a{}, *a{}]\n",
                        i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
  for (const auto& text : {std::string("bmc:\n: &a [*a]\n"), deep, bomb}) {
    auto l = load(text);
    REQUIRE_FALSE(l->result.setup);
    CHECK(any_contains(l->messages(), "nested deeper than 32 levels or more than 100000 values"));
  }
}

TEST_CASE("a missing config file says what to do") {
  boost::asio::io_context io;
  Metrics metrics;
  auto r = build_setup("/nonexistent/bmcquiet.yaml", {}, io, metrics);
  REQUIRE_FALSE(r.setup);
  auto s = r.diagnostics->summary();
  CHECK(
      s.find(
          "/nonexistent/bmcquiet.yaml: cannot read the config file (No such file or directory)") ==
      0);
  CHECK(s.find("--config") != std::string::npos);
}

TEST_CASE("a config over the size limit is refused, naming the limit, never truncated") {
  test::TempDir dir;
  // Valid YAML up to the limit; the typo after it once passed as OK.
  std::string text = "# " + std::string(4 * 1024 * 1024, 'x') + "\nexporter: {listne: x}\n";
  auto file = dir.write("big.yaml", text);
  boost::asio::io_context io;
  Metrics metrics;
  auto r = build_setup(file, {}, io, metrics);
  REQUIRE_FALSE(r.setup);
  auto s = r.diagnostics->summary();
  CHECK(s.find(file + ": refusing the config file: it is 4194329 bytes, over the limit of "
                      "4194304 bytes (4 MiB)") == 0);
}

TEST_CASE("a FIFO or a directory as config path is refused at once") {
  test::TempDir dir;
  const auto fifo = dir.path() + "/fifo.yaml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  boost::asio::io_context io;
  Metrics metrics;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = build_setup(fifo, {}, io, metrics);  // a blocking open would wait for a writer forever
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  REQUIRE_FALSE(r.setup);
  CHECK(r.diagnostics->summary().find("refusing the config file: it is a FIFO; point to a "
                                      "regular file") != std::string::npos);
  auto d = build_setup(dir.path(), {}, io, metrics);
  REQUIRE_FALSE(d.setup);
  CHECK(d.diagnostics->summary().find("it is a directory") != std::string::npos);
}

TEST_CASE("disabled collectors are validated but not built into the plan") {
  auto l = load("collectors:\n  interrupts: {enabled: false}\n");
  REQUIRE(l->result.setup);
  CHECK_FALSE(find_collector(*l->result.setup, "interrupts"));
  auto bad = load("collectors:\n  interrupts: {enabled: false, per_cpux: true}\n");
  CHECK_FALSE(bad->result.setup);
}

TEST_CASE("parse_duration accepts units and rejects bare numbers") {
  CHECK(*parse_duration("250ms") == 250ms);
  CHECK(*parse_duration("1.5s") == 1500ms);
  CHECK(*parse_duration("2m") == 120s);
  CHECK(*parse_duration("10us") == 10us);
  CHECK_FALSE(parse_duration("5"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration("3 days"));
  CHECK(*parse_duration("2d") == 48h);
  CHECK(*parse_duration("1.5d") == 36h);
  CHECK_FALSE(parse_duration("1xd"));
  CHECK_FALSE(parse_duration("99999999999999999999d"));  // past int64 nanoseconds
  CHECK_FALSE(parse_duration("107000d"));
  CHECK_FALSE(parse_duration("nand"));
  CHECK_FALSE(parse_duration("infd"));
}
