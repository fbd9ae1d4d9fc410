#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "collectors/tsc_gap.hpp"
#include "measure/tsc_detector.hpp"
#include "metrics/metrics.hpp"
#include "platform/hwlat_tracer.hpp"
#include "platform/rt_throttle.hpp"
#include "platform/tsc.hpp"
#include "service/setup.hpp"
#include "support/collect_now.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace std::chrono_literals;

namespace {

// Feeds scan_window a fixed TSC sequence instead of the hardware.
struct Sequence {
  std::vector<std::uint64_t> values;
  std::size_t next = 0;
  std::uint64_t operator()() { return values.at(next++); }
};

// Values start, start+step, ... with the given extra jumps inserted after index i.
std::vector<std::uint64_t> ticks(std::uint64_t start, std::uint64_t step, std::size_t count,
                                 std::map<std::size_t, std::uint64_t> jumps = {}) {
  std::vector<std::uint64_t> out;
  std::uint64_t t = start;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(t);
    t += step + (jumps.count(i) ? jumps[i] : 0);
  }
  return out;
}

const char* kCpuinfo = "processor\t: 0\nflags\t\t: fpu tsc constant_tsc nonstop_tsc hypervisor\n";

}  // namespace

TEST_CASE("a steady TSC sequence has no gaps", "[tsc]") {
  Sequence seq{ticks(1000, 30, 101)};
  std::vector<TscGap> buffer(8);
  auto scan = scan_window(seq, 3000, 100, buffer);
  CHECK(scan.reads == 101);
  CHECK(scan.gaps == 0);
  CHECK(scan.first_tsc == 1000);
  CHECK(scan.last_tsc == 4000);
  CHECK(seq.next == seq.values.size());
}

TEST_CASE("gaps above the threshold are recorded with start and length", "[tsc]") {
  // +500 after read 10, +100 after read 20 (equal to threshold: 130 > 100 counts),
  // +70 after read 30 (30 + 70 = 100: not above).
  Sequence seq{ticks(0, 30, 200, {{10, 500}, {20, 100}, {30, 70}})};
  std::vector<TscGap> buffer(8);
  auto scan = scan_window(seq, 5000, 100, buffer);
  REQUIRE(scan.gaps == 2);
  CHECK(buffer[0].start_tsc == 300);
  CHECK(buffer[0].ticks == 530);
  CHECK(buffer[1].start_tsc == 30 * 20 + 500);
  CHECK(buffer[1].ticks == 130);
  CHECK(scan.gap_ticks == 660);
  CHECK(scan.backwards == 0);
}

TEST_CASE("a full gap buffer keeps counting and a backwards TSC is not a gap", "[tsc]") {
  Sequence seq{ticks(0, 10, 100, {{5, 1000}, {10, 1000}, {15, 1000}})};
  // From read 30 on the counter runs 500 ticks lower: one step back, not a gap.
  for (std::size_t i = 30; i < seq.values.size(); ++i) seq.values[i] -= 500;
  std::vector<TscGap> buffer(2);
  auto scan = scan_window(seq, 3350, 100, buffer);
  CHECK(scan.gaps == 3);
  CHECK(scan.gap_ticks == 3 * 1010);
  CHECK(buffer[1].start_tsc == 10 * 10 + 1000);
  CHECK(scan.backwards == 1);
}

TEST_CASE("attribution: each counted event explains one gap, longest first", "[tsc]") {
  std::vector<TscGap> gaps = {{0, 50}, {100, 900}, {2000, 300}, {3000, 40}, {4000, 300}};
  SECTION("smi takes the longest, preempt the next, irq the rest") {
    auto c = attribute_gaps(gaps, {1, 1, 2});
    CHECK(c == std::vector<GapCause>{GapCause::irq, GapCause::smi, GapCause::preempt,
                                     GapCause::unknown, GapCause::irq});
  }
  SECTION("no SMI source: never smi; nothing moved: unknown") {
    auto c = attribute_gaps(gaps, {std::nullopt, 0, std::nullopt});
    CHECK(std::count(c.begin(), c.end(), GapCause::unknown) == 5);
  }
  SECTION("more events than gaps") {
    auto c = attribute_gaps(gaps, {0, 0, 40});
    CHECK(std::count(c.begin(), c.end(), GapCause::irq) == 5);
  }
  SECTION("SMIs outnumber nothing else") {
    auto c = attribute_gaps(gaps, {7, 3, 3});
    CHECK(std::count(c.begin(), c.end(), GapCause::smi) == 5);
  }
}

TEST_CASE("window slots stay phase-locked and skip what was missed", "[tsc]") {
  const std::int64_t origin = 1'000'000, period = 1000, late = 10;
  CHECK(next_window_slot(origin, period, late, 0, origin - 5) == 0);
  CHECK(next_window_slot(origin, period, late, 0, origin + 10) == 0);
  CHECK(next_window_slot(origin, period, late, 3, origin + 2500) == 3);
  // Slot 3 started at +3000; at +3011 it is too late: slot 4.
  CHECK(next_window_slot(origin, period, late, 3, origin + 3011) == 4);
  // A machine suspended for a long time resumes at the next slot, not 1000 behind.
  CHECK(next_window_slot(origin, period, late, 1, origin + 999'500) == 1000);
  CHECK(next_window_slot(origin, period, late, 1, origin + 999'005) == 999);
}

TEST_CASE("detector settings outside the safe range are refused", "[tsc]") {
  TscDetectorConfig c;
  CHECK(validate_detector_config(c).key.empty());
  c.period = 150ms;  // 100 ms of 150 ms: 67 % duty
  CHECK(validate_detector_config(c).key == "period");
  c = {};
  c.sched_fifo = true;
  c.rt_priority = 99;
  CHECK(validate_detector_config(c).key == "priority");
  c = {};
  c.threshold = 200ms;
  CHECK(validate_detector_config(c).key == "threshold");
  c = {};
  c.width = 2s;
  c.period = 10s;
  CHECK(validate_detector_config(c).key == "width");
}

TEST_CASE("cpuinfo flags decide whether the TSC is invariant", "[tsc]") {
  auto flags = parse_cpuinfo_flags(kCpuinfo);
  REQUIRE(flags);
  CHECK(flags->constant_tsc);
  CHECK(flags->nonstop_tsc);
  CHECK(flags->hypervisor);
  CHECK_FALSE(parse_cpuinfo_flags("processor : 0\nflagsx : constant_tsc\n"));

  test::TempDir root;
  root.write("proc/cpuinfo", "flags : fpu tsc constant_tsc\n");
  auto check = check_invariant_tsc(root.path() + "/proc");
  CHECK_FALSE(check.ok);
  CHECK(check.error.find("nonstop_tsc") != std::string::npos);
  CHECK(check.error.find(root.path() + "/proc/cpuinfo") != std::string::npos);
  root.write("proc/cpuinfo", kCpuinfo);
  check = check_invariant_tsc(root.path() + "/proc");
  CHECK(check.ok);
  CHECK(check.hypervisor);
  CHECK_FALSE(check_invariant_tsc(root.path() + "/nowhere").ok);
}

TEST_CASE("TSC values map onto the clock between two pairs", "[tsc]") {
  TscClockPair a{1000, 5000}, b{3000, 6000};  // 2 ticks per ns
  CHECK(tsc_to_clock_ns(a, b, 1000) == 5000);
  CHECK(tsc_to_clock_ns(a, b, 2000) == 5500);
  CHECK(tsc_to_clock_ns(a, b, 3000) == 6000);
}

TEST_CASE("a CPU's interrupt count is its column over every full row", "[tsc]") {
  test::TempDir root;
  root.write("proc/interrupts",
             "           CPU0       CPU1\n"
             "  0:         10         20   IO-APIC   2-edge      timer\n"
             "LOC:        100        200   Local timer interrupts\n"
             "ERR:          7\n");
  CHECK(cpu_interrupt_count(root.path() + "/proc", 1) == 220u);
  CHECK(cpu_interrupt_count(root.path() + "/proc", 0) == 110u);
  CHECK_FALSE(cpu_interrupt_count(root.path() + "/proc", 2));
}

TEST_CASE("RT throttling budget", "[tsc]") {
  CHECK(max_busy_in_window(100ms, 900ms, 1s) == 100ms);
  CHECK(max_busy_in_window(1ms, 3ms, 1s) == 250ms);
  CHECK(max_busy_in_window(600ms, 100ms, 1s) == 900ms);
  RtThrottle t{950000us, 1000000us};
  CHECK(check_rt_budget(t, 1ms, 3ms).empty());
  CHECK(check_rt_budget(t, 500ms, 500ms).empty());
  auto problem = check_rt_budget(t, 900ms, 100ms);
  CHECK(problem.find("sched_rt_runtime_us") != std::string::npos);
  CHECK(check_rt_budget({-1us, 1000000us}, 900ms, 1ms).empty());  // throttling off
}

TEST_CASE("hwlat trace lines and cpumasks", "[tsc]") {
  CHECK(
      parse_hwlat_line("  <...>-1322  [001] d...   431.283924: #1     inner/outer(us):   19/22    "
                       "ts:1700000000.123456789 count:3") == 22000);
  CHECK(parse_hwlat_line("<...>-1 [000] d... 1.0: #12 inner/outer(us): 1050/0 ts:1.2 count:1 "
                         "nmi-total:4 nmi-count:1") == 1050000);
  CHECK_FALSE(parse_hwlat_line("# tracer: hwlat"));
  CHECK(format_cpumask(0) == "1");
  CHECK(format_cpumask(5) == "20");
  CHECK(format_cpumask(35) == "8,00000000");
}

namespace {

// A tracefs as the kernel lays it out, in a temp dir.
struct FakeTracefs {
  test::TempDir root;
  std::string dir = root.path() + "/tracing";
  FakeTracefs(const std::string& current = "nop") {
    root.write("tracing/available_tracers", "hwlat function nop\n");
    root.write("tracing/current_tracer", current + "\n");
    root.write("tracing/tracing_on", "1\n");
    root.write("tracing/tracing_thresh", "0\n");
    root.write("tracing/tracing_cpumask", "3\n");
    root.write("tracing/hwlat_detector/window", "1000000\n");
    root.write("tracing/hwlat_detector/width", "500000\n");
    root.write("tracing/trace_pipe", "");
  }
  std::string file(const std::string& rel) { return test::read_file(dir + "/" + rel); }
};

HwlatSettings hwlat_settings(const std::string& dir) {
  HwlatSettings s;
  s.tracefs = dir;
  s.cpu = 1;
  return s;
}

}  // namespace

TEST_CASE("hwlat: refuses without tracefs, without the tracer, or when someone traces", "[tsc]") {
  std::string error;
  test::TempDir empty;
  CHECK_FALSE(HwlatTracer::acquire(hwlat_settings(empty.path() + "/none"), &error));
  CHECK(error.find("no tracefs") != std::string::npos);

  FakeTracefs busy("function");
  CHECK_FALSE(HwlatTracer::acquire(hwlat_settings(busy.dir), &error));
  CHECK(error.find("'function'") != std::string::npos);
  CHECK(busy.file("current_tracer") == "function\n");  // untouched
  CHECK(busy.file("tracing_thresh") == "0\n");

  FakeTracefs no_hwlat;
  no_hwlat.root.write("tracing/available_tracers", "function nop\n");
  CHECK_FALSE(HwlatTracer::acquire(hwlat_settings(no_hwlat.dir), &error));
  CHECK(error.find("CONFIG_HWLAT_TRACER") != std::string::npos);

  FakeTracefs paused;
  paused.root.write("tracing/tracing_on", "0\n");
  CHECK_FALSE(HwlatTracer::acquire(hwlat_settings(paused.dir), &error));
  CHECK(paused.file("current_tracer") == "nop\n");
}

TEST_CASE("hwlat: configures, reads samples and restores what it changed", "[tsc]") {
  FakeTracefs fs;
  std::string error;
  auto tracer = HwlatTracer::acquire(hwlat_settings(fs.dir), &error);
  REQUIRE(tracer);
  CHECK(fs.file("current_tracer") == "hwlat");
  CHECK(fs.file("tracing_cpumask") == "2");
  CHECK(fs.file("tracing_thresh") == "10");
  CHECK(fs.file("hwlat_detector/width") == "100000");
  fs.root.write("tracing/trace_pipe",
                "# tracer: hwlat\n"
                "<...>-9 [001] d... 5.1: #1 inner/outer(us):   12/30 ts:1.1 count:1\n"
                "<...>-9 [001] d... 6.1: #2 inner/outer(us):  400/3 ts:2.1 count:1\n");
  auto samples = tracer->drain(&error);
  CHECK(error.empty());
  CHECK(samples == std::vector<std::int64_t>{30000, 400000});
  tracer->release();
  CHECK(fs.file("current_tracer") == "nop");
  CHECK(fs.file("tracing_cpumask") == "3");
  CHECK(fs.file("tracing_thresh") == "0");
  CHECK(fs.file("hwlat_detector/width") == "500000");
}

TEST_CASE("hwlat: a tracer someone set after us is left alone on release", "[tsc]") {
  FakeTracefs fs;
  std::string error;
  auto tracer = HwlatTracer::acquire(hwlat_settings(fs.dir), &error);
  REQUIRE(tracer);
  fs.root.write("tracing/current_tracer", "function\n");
  fs.root.write("tracing/tracing_thresh", "77\n");
  tracer.reset();
  CHECK(fs.file("current_tracer") == "function\n");
  CHECK(fs.file("tracing_thresh") == "77\n");
}

namespace {

struct CollectorFixture {
  test::TempDir root;
  boost::asio::io_context io;
  Metrics metrics;
  std::unique_ptr<Collector> collector;
  std::shared_ptr<ConfigDiagnostics> diag = std::make_shared<ConfigDiagnostics>("t");

  explicit CollectorFixture(const std::string& config, const std::string& isolated = "") {
    root.write("proc/cpuinfo", kCpuinfo);
    root.write("sys/devices/system/cpu/online", "0-1\n");
    root.write("sys/devices/system/cpu/isolated", isolated);
    CollectorEnv env{io,
                     metrics,
                     Paths{root.path() + "/proc", root.path() + "/sys", root.path() + "/dev",
                           root.path() + "/state"},
                     {}};
    auto section = ConfigSection::parse(config, diag);
    collector = make_tsc_gap_collector(env, section);
    section.finish();
  }
  CollectOutcome run() { return test::collect_now(*collector); }
  std::optional<double> value(const std::string& series) {
    return test::sample_value(metrics.serialize(), series);
  }
};

}  // namespace

TEST_CASE("tsc_gap collector with the hwlat backend exports the tracer's samples", "[tsc]") {
  FakeTracefs fs;
  CollectorFixture f("backend: hwlat\ncpu: 1\ntracefs: " + fs.dir + "\n");
  REQUIRE(f.diag->ok());
  f.collector->start();
  CHECK(fs.file("current_tracer") == "hwlat");
  fs.root.write("tracing/trace_pipe",
                "<...>-9 [001] d... 5.1: #1 inner/outer(us):   12/30 ts:1.1 count:1\n");
  auto out = f.run();
  INFO(out.error);
  REQUIRE(out.ok);
  CHECK(f.value(R"(bmcquiet_tsc_gaps_total{cause="unknown"})") == 1);
  CHECK_FALSE(f.value(R"(bmcquiet_tsc_gaps_total{cause="smi"})"));  // unknowable: absent
  CHECK(f.value("bmcquiet_tsc_gap_seconds_count") == 1);
  CHECK(f.value(R"(bmcquiet_tsc_gap_seconds_bucket{le="5e-05"})") == 1);
  CHECK(f.value(R"(bmcquiet_tsc_gap_seconds_bucket{le="2e-05"})") == 0);
  CHECK(f.value("bmcquiet_tsc_gap_threshold_seconds") == Approx(10e-6));
  CHECK(f.value("bmcquiet_tsc_stolen_seconds_total") == Approx(30e-6));
  f.collector->stop();
  CHECK(fs.file("current_tracer") == "nop");
}

TEST_CASE("tsc_gap collector: a busy tracefs or an isolated CPU is a clear failure", "[tsc]") {
  SECTION("someone else's tracer") {
    FakeTracefs fs("function_graph");
    CollectorFixture f("backend: hwlat\ntracefs: " + fs.dir + "\n");
    f.collector->start();
    auto out = f.run();
    CHECK_FALSE(out.ok);
    CHECK(out.error.find("function_graph") != std::string::npos);
    CHECK(fs.file("current_tracer") == "function_graph\n");
  }
  SECTION("an isolated CPU") {
    CollectorFixture f("cpu: 1\n", "1\n");
    f.collector->start();
    auto out = f.run();
    CHECK_FALSE(out.ok);
    CHECK(out.error.find("isolated") != std::string::npos);
  }
}

TEST_CASE("tsc_gap collector refuses a TSC that is not invariant", "[tsc]") {
  CollectorFixture f("cpu: 0\n");
  f.root.write("proc/cpuinfo", "flags : fpu tsc\n");
  f.collector->start();
  // The detector thread finds out; wait for it (no timing is asserted).
  CollectOutcome out;
  for (int i = 0; i < 1000 && out.ok; ++i) {
    out = f.run();
    if (out.ok) std::this_thread::sleep_for(10ms);
  }
  CHECK_FALSE(out.ok);
  CHECK(out.error.find("constant_tsc nonstop_tsc") != std::string::npos);
  f.collector->stop();
}

TEST_CASE("tsc_gap config errors name the key", "[tsc]") {
  auto errors = [](const std::string& text) {
    CollectorFixture f(text);
    return f.diag->summary();
  };
  CHECK(errors("width: 600ms\nperiod: 1s\n").find("period") != std::string::npos);
  CHECK(errors("cpu: two\n").find("tsc_gap") == std::string::npos);  // section path is the caller's
  CHECK(errors("cpu: two\n").find("not a CPU number") != std::string::npos);
  CHECK(errors("priority: 99\n").find("priority") != std::string::npos);
  CHECK(errors("backend: ebpf\n").find("backend") != std::string::npos);
  CHECK(errors("threshold: 0us\n").find("threshold") != std::string::npos);
  CHECK(errors("widht: 10ms\n").find("widht") != std::string::npos);
  CHECK(errors("").empty());
}
