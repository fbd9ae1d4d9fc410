#include <linux/perf_event.h>
#include <sched.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "collectors/smi.hpp"
#include "platform/msr.hpp"
#include "support/smi_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kHkReads = R"(bmcquiet_smi_sample_reads_total{cpu_class="housekeeping"})";
constexpr const char* kIsoReads = R"(bmcquiet_smi_sample_reads_total{cpu_class="isolated"})";

// Every CPU in `cpus` at the same SMI count, as broadcast SMIs leave them.
void set_all(const FakeCpuTree& tree, int cpus, std::uint64_t count) {
  for (int cpu = 0; cpu < cpus; ++cpu) tree.msr(cpu, msr::kSmiCount, count);
}

}  // namespace

TEST_CASE("isolated CPUs are read only at the slow interval", "[smi]") {
  Rig rig;
  rig.tree.cpus("0-7", "2-7");
  set_all(rig.tree, 8, 0);
  auto settings = smi_only();
  settings.isolated_interval = 60s;
  std::uint64_t isolated_before = 0;

  SECTION("default plan: housekeeping every round, isolated every 60 s") {
    auto s = rig.sampler(settings);
    for (int t = 0; t <= 120; ++t) {  // 121 rounds of 1 s
      REQUIRE(s->sample(rig.t0 + std::chrono::seconds(t)).ok);
      CHECK(s->last_round().isolated_read == (t % 60 == 0));
    }
    CHECK(rig.value(kHkReads) == 121 * 2);
    CHECK(rig.value(kIsoReads) == 3 * 6);  // t = 0, 60, 120
    // CPU 0 was pinned to (local read); CPU 1 could not be (remote, one IPI).
    CHECK(rig.value(R"(bmcquiet_smi_sample_remote_reads_total{cpu_class="housekeeping"})") == 121);
    CHECK(rig.value(R"(bmcquiet_smi_sample_remote_reads_total{cpu_class="isolated"})") == 18);
    // Isolated CPUs are never pinned to: a thread landing on them would be worse than an IPI.
    for (int cpu : rig.pinner->pins) CHECK(cpu < 2);
    // Between rounds the sampler may run on housekeeping CPUs only.
    CHECK(rig.pinner->last_home == std::vector<int>{0, 1});
  }
  SECTION("isolated_interval 0 never reads isolated CPUs") {
    settings.isolated_interval = 0s;
    auto s = rig.sampler(settings);
    for (int t = 0; t < 100; ++t) REQUIRE(s->sample(rig.t0 + std::chrono::seconds(t)).ok);
    CHECK(rig.value(kIsoReads) == isolated_before);
    CHECK(rig.value(kHkReads) == 200);
  }
  SECTION("pin: false reads every CPU remotely") {
    settings.pin = false;
    auto s = rig.sampler(settings);
    REQUIRE(s->sample(rig.t0).ok);
    CHECK(rig.pinner->pins.empty());
    CHECK(rig.value(R"(bmcquiet_smi_sample_remote_reads_total{cpu_class="housekeeping"})") == 2);
  }
}

TEST_CASE("bmcquiet_smi_total follows the reference CPU across 32-bit wrap", "[smi]") {
  Rig rig;
  rig.tree.cpus("0-1");
  set_all(rig.tree, 2, 0xFFFF'FFF0);
  auto s = rig.sampler(smi_only());
  REQUIRE(s->sample(rig.t0).ok);
  CHECK(rig.value("bmcquiet_smi_total") == 0);  // baseline, series present
  set_all(rig.tree, 2, 0x10);
  REQUIRE(s->sample(rig.t0 + 1s).ok);
  CHECK(rig.value("bmcquiet_smi_total") == 0x20);
  CHECK(rig.value(R"(bmcquiet_smi_disagreements_total{cpu_class="housekeeping"})") == 0);
  CHECK(rig.value(R"(bmcquiet_smi_source_info{reference_cpu="0",source="intel_msr",)"
                  R"(throttle="none",vendor="intel"})") == 1);
}

TEST_CASE("a reload keeps bmcquiet_smi_total monotonic", "[smi]") {
  Rig rig;
  rig.tree.cpus("0");
  set_all(rig.tree, 1, 100);
  {
    auto s = rig.sampler(smi_only());
    REQUIRE(s->sample(rig.t0).ok);
    set_all(rig.tree, 1, 130);
    REQUIRE(s->sample(rig.t0 + 1s).ok);
  }
  CHECK(rig.value("bmcquiet_smi_total") == 30);
  // The registry outlives the sampler; a new one rebases instead of restarting at 0.
  set_all(rig.tree, 1, 140);
  auto s = rig.sampler(smi_only());
  REQUIRE(s->sample(rig.t0 + 2s).ok);
  set_all(rig.tree, 1, 145);
  REQUIRE(s->sample(rig.t0 + 3s).ok);
  CHECK(rig.value("bmcquiet_smi_total") == 35);
}

TEST_CASE("hotplug: a CPU that disappears is an error count, not an outage", "[smi]") {
  Rig rig;
  rig.tree.cpus("0-3");
  set_all(rig.tree, 4, 10);
  SmiSettings settings = smi_only();
  settings.per_cpu = true;
  auto s = rig.sampler(settings);
  REQUIRE(s->sample(rig.t0).ok);

  SECTION("the reference CPU goes offline: the next housekeeping CPU takes over") {
    rig.tree.cpus("1-3");
    rig.tree.remove_msr(0);
    for (int cpu = 1; cpu < 4; ++cpu) rig.tree.msr(cpu, msr::kSmiCount, 15);
    REQUIRE(s->sample(rig.t0 + 1s).ok);
    CHECK(rig.value(R"(bmcquiet_smi_read_errors_total{cpu_class="housekeeping"})") == 0);
    CHECK(rig.value("bmcquiet_smi_total") == 5);
    CHECK(rig.has(R"(bmcquiet_smi_source_info{reference_cpu="1",source="intel_msr",)"
                  R"(throttle="none",vendor="intel"})"));
  }
  SECTION("a CPU goes offline, then comes back with a count that moved") {
    rig.tree.cpus("0-2");
    set_all(rig.tree, 4, 20);
    REQUIRE(s->sample(rig.t0 + 1s).ok);
    CHECK(rig.value(R"(bmcquiet_smi_cpu_total{cpu="3"})") == 0);
    rig.tree.cpus("0-3");
    set_all(rig.tree, 4, 50);
    REQUIRE(s->sample(rig.t0 + 2s).ok);  // CPU 3 rebased, not credited 40
    CHECK(rig.value(R"(bmcquiet_smi_cpu_total{cpu="3"})") == 0);
    CHECK(rig.value(R"(bmcquiet_smi_cpu_total{cpu="1"})") == 40);
    CHECK(rig.value("bmcquiet_smi_total") == 40);
    CHECK(rig.value(R"(bmcquiet_smi_read_errors_total{cpu_class="housekeeping"})") == 0);
  }
  SECTION("a CPU comes online whose device fails: an error count, the rest carries on") {
    rig.tree.cpus("0-4");
    rig.tree.short_msr_file(4);
    set_all(rig.tree, 4, 12);
    REQUIRE(s->sample(rig.t0 + 1s).ok);
    CHECK(rig.value(R"(bmcquiet_smi_read_errors_total{cpu_class="housekeeping"})") == 1);
    CHECK(rig.value("bmcquiet_smi_total") == 2);
  }
  SECTION("no housekeeping CPU readable: up=0 naming the device and the fix") {
    rig.tree.cpus("4-5");
    auto out = s->sample(rig.t0 + 1s);
    CHECK_FALSE(out.ok);
    CHECK(contains(out.error, rig.tree.msr_file(4) + " does not exist"));
    CHECK(contains(out.error, "modprobe msr"));
  }
}

TEST_CASE("CPUs that disagree with the reference are counted", "[smi]") {
  Rig rig;
  rig.tree.cpus("0-3", "2-3");
  set_all(rig.tree, 4, 0);
  auto settings = smi_only();
  settings.isolated_interval = 10s;
  auto s = rig.sampler(settings);
  REQUIRE(s->sample(rig.t0).ok);
  // 1 s later: broadcast SMIs everywhere, plus 10 local ones on CPU 1 only.
  set_all(rig.tree, 4, 3);
  rig.tree.msr(1, msr::kSmiCount, 13);
  REQUIRE(s->sample(rig.t0 + 1s).ok);
  CHECK(rig.value(R"(bmcquiet_smi_disagreements_total{cpu_class="housekeeping"})") == 1);
  CHECK(rig.value("bmcquiet_smi_max_deviation") == 10);
  // 10 s later the isolated CPUs are compared over their own 10 s window.
  set_all(rig.tree, 4, 8);
  rig.tree.msr(1, msr::kSmiCount, 18);
  rig.tree.msr(3, msr::kSmiCount, 9);  // within tolerance (2) of the reference's 8
  REQUIRE(s->sample(rig.t0 + 10s).ok);
  CHECK(rig.value(R"(bmcquiet_smi_disagreements_total{cpu_class="isolated"})") == 0);
  CHECK(rig.value("bmcquiet_smi_max_deviation") == 1);
  CHECK(rig.value("bmcquiet_smi_total") == 8);
}

TEST_CASE("throttle signals: APERF/MPERF cycles and thermal status edges", "[smi]") {
  Rig rig;
  rig.tree.cpus("0-3", "3");
  rig.tree.package(0, 0);
  rig.tree.package(1, 0);
  rig.tree.package(2, 1);
  rig.tree.package(3, 1);
  std::uint64_t mperf_before = 0;
  for (int cpu = 0; cpu < 4; ++cpu) {
    rig.tree.msr(cpu, msr::kSmiCount, 0);
    mperf_before = rig.tree.aperf_mperf(cpu, 1000, 0x10);
    rig.tree.msr(cpu, msr::kThermStatus, 0);
    rig.tree.msr(cpu, msr::kPackageThermStatus, 0);
  }
  SmiSettings settings;
  settings.isolated_interval = 0s;
  auto s = rig.sampler(settings);
  REQUIRE(s->sample(rig.t0).ok);
  // Per housekeeping CPU: SMI, MPERF, APERF, core therm; package therm once per package.
  CHECK(rig.value(kHkReads) == 3 * 4 + 2);
  CHECK(rig.value(R"(bmcquiet_thermal_throttle_events_total{scope="core",signal="prochot"})") == 0);

  std::uint64_t mperf_after = 0;
  for (int cpu = 0; cpu < 3; ++cpu) mperf_after = rig.tree.aperf_mperf(cpu, 1000 + 1500, 0x20);
  rig.tree.msr(1, msr::kThermStatus, 0b0000'1100);         // PROCHOT now + its log
  rig.tree.msr(2, msr::kPackageThermStatus, 0b0000'0010);  // a thermal throttle happened
  REQUIRE(s->sample(rig.t0 + 1s).ok);
  CHECK(rig.value(R"(bmcquiet_cpu_aperf_cycles_total{cpu_class="housekeeping"})") == 4500);
  CHECK(rig.value(R"(bmcquiet_cpu_mperf_cycles_total{cpu_class="housekeeping"})") ==
        3.0 * double(mperf_after - mperf_before));
  CHECK(rig.value(R"(bmcquiet_thermal_throttle_events_total{scope="core",signal="prochot"})") == 1);
  CHECK(rig.value(R"(bmcquiet_thermal_throttle_events_total{scope="package",signal="thermal"})") ==
        1);
  CHECK(
      rig.value(
          R"(bmcquiet_thermal_throttle_events_total{scope="core",signal="critical_temperature"})") ==
      0);
  // A log bit that stays set is the same event, not a new one.
  REQUIRE(s->sample(rig.t0 + 2s).ok);
  CHECK(rig.value(R"(bmcquiet_thermal_throttle_events_total{scope="core",signal="prochot"})") == 1);

  SECTION("AMD: APERF/MPERF yes, Intel thermal MSRs never") {
    Rig amd;
    amd.tree.cpus("0");
    amd.tree.msr(0, msr::kAperf, 1);
    auto pmu = std::make_shared<FakePmu>();
    auto sa = amd.sampler(settings, kGenoa, pmu);
    REQUIRE(sa->sample(amd.t0).ok);
    CHECK(amd.value(kHkReads) == 3);  // SMI (perf), MPERF, APERF
    CHECK_FALSE(
        amd.has(R"(bmcquiet_thermal_throttle_events_total{scope="core",signal="thermal"})"));
    CHECK(amd.has(R"(bmcquiet_smi_source_info{reference_cpu="0",source="amd_pmc",throttle="msr",)"
                  R"(vendor="amd"})"));
  }
}

TEST_CASE("read_smi_on_this_cpu reads the CPU the caller is pinned to", "[smi]") {
  Rig rig;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  REQUIRE(sched_getaffinity(0, sizeof mask, &mask) == 0);
  int target = -1;
  for (int cpu = 0; cpu < CPU_SETSIZE && target < 0; ++cpu)
    if (CPU_ISSET(cpu, &mask)) target = cpu;
  for (int cpu = 0; cpu <= target + 1; ++cpu) rig.tree.msr(cpu, msr::kSmiCount, 100 + cpu);
  auto pinner = make_thread_pinner();
  REQUIRE(pinner->pin(target));
  std::string error;
  auto source = open_smi_source(rig.tree.paths(), SmiSourceKind::intel_msr, &error);
  REQUIRE(source);
  int cpu = -1;
  auto r = read_smi_on_this_cpu(*source, &cpu);
  pinner->unpin({target, CPU_SETSIZE + 5});
  cpu_set_t after;
  CPU_ZERO(&after);
  REQUIRE(sched_getaffinity(0, sizeof after, &after) == 0);
  sched_setaffinity(0, sizeof mask, &mask);  // this is Catch's thread: give it back
  CHECK(CPU_COUNT(&after) == 1);             // home ∩ the original affinity
  CHECK(CPU_ISSET(target, &after));
  CHECK(cpu == target);
  REQUIRE(r.ok);
  CHECK(r.count == 100u + unsigned(target));
}

TEST_CASE("the real perf_event_open path counts a software event", "[smi]") {
  const int cpu = sched_getcpu();
  PerfCounter counter(kernel_perf_backend(),
                      {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, "software cpu-clock"}, cpu);
  auto first = counter.read();
  if (!first.ok) {
    WARN("perf_event_open refused here, plumbing not exercised: " << first.error);
    CHECK((first.error_number == EACCES || first.error_number == EPERM ||
           first.error_number == ENOENT || first.error_number == ENOSYS));
    return;
  }
  volatile std::uint64_t spin = 0;
  for (int i = 0; i < 5'000'000; ++i) spin = spin + 1;
  auto second = counter.read();
  REQUIRE(second.ok);
  CHECK(second.value > first.value);  // cpu-clock counts nanoseconds this CPU was busy
  CHECK(counter.syscalls() == 3);     // one open, two reads
}

TEST_CASE("the smi collector samples on its own thread and reports through the loop", "[smi]") {
  Rig rig;
  rig.tree.cpus("0");
  set_all(rig.tree, 1, 7);
  boost::asio::io_context io;
  CollectorEnv env{io, rig.metrics, rig.tree.paths(), {}};
  auto collector = make_smi_collector(
      env, smi_only(),
      SmiHardware{kSapphireRapids, nullptr, std::make_shared<FakePinner>(std::set<int>{})});
  collector->start();
  auto busy = boost::asio::make_work_guard(io);  // run_one_for waits for the worker's post
  auto run = [&] {
    std::optional<CollectOutcome> out;
    collector->collect([&](CollectOutcome o) { out = std::move(o); });
    for (int i = 0; i < 50 && !out; ++i) io.run_one_for(100ms);
    REQUIRE(out);
    return *out;
  };
  REQUIRE(run().ok);
  set_all(rig.tree, 1, 9);
  REQUIRE(run().ok);
  CHECK(rig.value("bmcquiet_smi_total") == 2);
  collector->stop();

  SECTION("config: the default section builds, a bad source is rejected") {
    auto diag = std::make_shared<ConfigDiagnostics>("t.yaml");
    auto bad = ConfigSection::parse("source: msr\nisolated_interval: 0s\n", diag);
    make_smi_collector(env, bad);
    bad.finish();
    REQUIRE_FALSE(diag->ok());
    CHECK(contains(diag->summary(), "source"));
  }
}
