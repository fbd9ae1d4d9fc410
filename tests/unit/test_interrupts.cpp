#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "collectors/interrupts.hpp"
#include "metrics/metrics.hpp"
#include "platform/proc_interrupts.hpp"
#include "support/collect_now.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;

namespace {

const InterruptRow* find_row(const InterruptTable& t, const std::string& label) {
  for (const auto& r : t.rows)
    if (r.label == label) return &r;
  return nullptr;
}

}  // namespace

TEST_CASE("parses a VM's /proc/interrupts") {
  auto t = parse_proc_interrupts(test::fixture("interrupts/vm-2cpu.txt"), nullptr);
  REQUIRE(t);
  CHECK(t->cpus == std::vector<int>{0, 1});
  auto serial = find_row(*t, "26");
  REQUIRE(serial);
  CHECK(serial->counts == std::vector<std::uint64_t>{0, 15});
  CHECK(classify_interrupt(*serial) == InterruptSource::serial);
  CHECK(classify_interrupt(*find_row(*t, "CAL")) == InterruptSource::ipi_call);
  CHECK(find_row(*t, "CAL")->counts.size() == 2);
  CHECK(find_row(*t, "ERR")->counts == std::vector<std::uint64_t>{0});
  CHECK(classify_interrupt(*find_row(*t, "ERR")) == InterruptSource::none);
  CHECK(classify_interrupt(*find_row(*t, "36")) == InterruptSource::none);
}

TEST_CASE("columns follow the header when a CPU is offline") {
  auto t =
      parse_proc_interrupts(test::fixture("interrupts/baremetal-8cpu-cpu3-offline.txt"), nullptr);
  REQUIRE(t);
  CHECK(t->cpus == std::vector<int>{0, 1, 2, 4, 5, 6, 7});
  auto ipmi = find_row(*t, "10");
  REQUIRE(ipmi);
  CHECK(classify_interrupt(*ipmi) == InterruptSource::ipmi);
  CHECK(ipmi->counts[3] == 120);  // column 3 is CPU4
  CHECK(ipmi->description == "IR-IO-APIC   10-fasteoi   ipmi_si");
  CHECK(classify_interrupt(*find_row(*t, "16")) == InterruptSource::none);
  CHECK(classify_interrupt(*find_row(*t, "RES")) == InterruptSource::ipi_resched);
}

TEST_CASE("many CPUs, 64-bit counts, truncated and garbage rows") {
  auto t = parse_proc_interrupts(test::fixture("interrupts/many-192cpu.txt"), nullptr);
  REQUIRE(t);
  CHECK(t->cpus.size() == 192);
  CHECK(find_row(*t, "CAL")->counts[191] == 4294967296ULL + 191);
  CHECK(find_row(*t, "99")->counts.size() == 3);
  CHECK(classify_interrupt(*find_row(*t, "11")) == InterruptSource::ipmi);
}

TEST_CASE("a file without a CPU header is an error, not a crash") {
  std::string error;
  CHECK_FALSE(parse_proc_interrupts("", &error));
  CHECK_FALSE(parse_proc_interrupts("  0: 1 2 IO-APIC timer\n", &error));
  CHECK(error.find("CPU header") != std::string::npos);
}

TEST_CASE("a CPU id past the kernel's maximum or out of order is no header") {
  std::string error;
  // 2^32 would wrap to CPU 0: two columns with one label.
  CHECK_FALSE(parse_proc_interrupts("CPU0 CPU4294967296\n  0: 1 2 timer\n", &error));
  CHECK(error.find("ids up to 8191") != std::string::npos);
  CHECK_FALSE(parse_proc_interrupts("CPU8192\n  0: 1 timer\n", nullptr));
  CHECK_FALSE(parse_proc_interrupts("CPU1 CPU0\n  0: 1 2 timer\n", nullptr));
  CHECK_FALSE(parse_proc_interrupts("CPU0 CPU0\n  0: 1 2 timer\n", nullptr));
  auto t = parse_proc_interrupts("CPU0 CPU8191\n  0: 1 2 timer\n", nullptr);
  REQUIRE(t);
  CHECK(t->cpus == std::vector<int>{0, 8191});
}

namespace {

struct Fixture {
  test::TempDir root;
  boost::asio::io_context io;
  Metrics metrics;
  std::unique_ptr<Collector> collector;

  Fixture(const std::string& interrupts, const std::string& online, const std::string& isolated) {
    root.write("proc/interrupts", interrupts);
    root.write("sys/devices/system/cpu/online", online);
    root.write("sys/devices/system/cpu/isolated", isolated);
    CollectorEnv env{
        io, metrics, Paths{root.path() + "/proc", root.path() + "/sys", "/dev", "/tmp"}, {}};
    auto diag = std::make_shared<ConfigDiagnostics>("t");
    auto section = ConfigSection::parse("per_cpu: true", diag);
    collector = make_interrupts_collector(env, section);
  }
  CollectOutcome run() { return test::collect_now(*collector); }
  double value(const std::string& series) {
    auto v = test::sample_value(metrics.serialize(), series);
    INFO(series);
    REQUIRE(v);
    return *v;
  }
};

}  // namespace

TEST_CASE("interrupts collector counts deltas per CPU class and source") {
  const std::string before = test::fixture("interrupts/baremetal-8cpu-cpu3-offline.txt");
  Fixture f(before, "0-7\n", "4-7\n");
  REQUIRE(f.run().ok);
  // First run sets the baseline: series exist at zero.
  CHECK(f.value(R"(bmcquiet_interrupts_total{cpu_class="isolated",source="serial"})") == 0);
  CHECK(f.value(R"(bmcquiet_cpus{class="isolated"})") == 4);

  std::string after = before;
  // ttyS0 on CPU5 (isolated) 310 → 350, on CPU0 (housekeeping) unchanged.
  after.replace(after.find("        310"), 11, "        350");
  // CAL on CPU7 45 → 145.
  after.replace(after.rfind("         45   Function"), 11, "        145");
  f.root.write("proc/interrupts", after);
  REQUIRE(f.run().ok);
  CHECK(f.value(R"(bmcquiet_interrupts_total{cpu_class="isolated",source="serial"})") == 40);
  CHECK(f.value(R"(bmcquiet_interrupts_total{cpu_class="housekeeping",source="serial"})") == 0);
  CHECK(f.value(R"(bmcquiet_interrupts_total{cpu_class="isolated",source="ipi_call"})") == 100);
  CHECK(f.value(R"(bmcquiet_interrupts_cpu_total{cpu="5",source="serial"})") == 40);
  CHECK(f.value(R"(bmcquiet_interrupts_cpu_total{cpu="7",source="ipi_call"})") == 100);
}

TEST_CASE("a CPU going offline never makes the counters go backwards") {
  Fixture f("           CPU0       CPU1\n  4:        100        200   IO-APIC 4-edge ttyS0\n",
            "0-1\n", "1\n");
  REQUIRE(f.run().ok);
  f.root.write("proc/interrupts", "           CPU0\n  4:        150   IO-APIC 4-edge ttyS0\n");
  REQUIRE(f.run().ok);
  f.root.write("proc/interrupts",
               "           CPU0       CPU1\n  4:        160         10   IO-APIC 4-edge ttyS0\n");
  REQUIRE(f.run().ok);
  f.root.write("proc/interrupts",
               "           CPU0       CPU1\n  4:        160         15   IO-APIC 4-edge ttyS0\n");
  REQUIRE(f.run().ok);
  CHECK(f.value(R"(bmcquiet_interrupts_total{cpu_class="housekeeping",source="serial"})") == 60);
  // CPU1 came back with a reset count (10): only the later +5 counts.
  CHECK(f.value(R"(bmcquiet_interrupts_total{cpu_class="isolated",source="serial"})") == 5);
}

TEST_CASE("a missing /proc/interrupts is reported with the fix") {
  Fixture f("x", "0\n", "");
  std::filesystem::remove(f.root.path() + "/proc/interrupts");
  auto out = f.run();
  CHECK_FALSE(out.ok);
  CHECK(out.error.find("proc/interrupts") != std::string::npos);
  CHECK(out.error.find("--path.procfs") != std::string::npos);
}

namespace {

// The exposition lines of metrics with this prefix, sorted (prometheus-cpp
// emits series in hash order), for golden comparison.
std::string lines_with_prefix(const std::string& scrape, const std::string& prefix) {
  std::vector<std::string> lines;
  std::istringstream in(scrape);
  for (std::string line; std::getline(in, line);) {
    auto name_start = line.rfind("# ", 0) == 0 ? line.find(' ', 2) + 1 : 0;
    if (line.compare(name_start, prefix.size(), prefix) == 0) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

}  // namespace

TEST_CASE("interrupts collector /metrics matches the golden file") {
  const std::string before = test::fixture("interrupts/baremetal-8cpu-cpu3-offline.txt");
  Fixture f(before, "0-7\n", "4-7\n");
  REQUIRE(f.run().ok);
  std::string after = before;
  after.replace(after.find("        310"), 11, "        350");
  f.root.write("proc/interrupts", after);
  REQUIRE(f.run().ok);
  auto got = lines_with_prefix(f.metrics.serialize(), "bmcquiet_");
  // Regenerate deliberately with: BMCQUIET_UPDATE_GOLDEN=1 build/tests/unit_tests "*golden*"
  const std::string golden = std::string(BMCQUIET_FIXTURES) + "/interrupts/golden.prom";
  if (std::getenv("BMCQUIET_UPDATE_GOLDEN")) std::ofstream(golden) << got;
  CHECK(got == test::read_file(golden));
}
