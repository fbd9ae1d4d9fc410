#include <linux/perf_event.h>
#include <sched.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include "collectors/smi.hpp"
#include "collectors/smi_sampler.hpp"
#include "metrics/metrics.hpp"
#include "platform/cpuid.hpp"
#include "platform/msr.hpp"
#include "platform/perf_counter.hpp"
#include "platform/smi_source.hpp"
#include "support/fake_smi.hpp"
#include "support/helpers.hpp"
#include "support/smi_rig.hpp"

using namespace bmcquiet;
using namespace std::chrono_literals;

using namespace bmcquiet::test;

TEST_CASE("CPUID decodes vendor, family and model", "[smi]") {
  CHECK(kSapphireRapids.vendor == CpuVendor::intel);
  CHECK(kSapphireRapids.vendor_id == "GenuineIntel");
  CHECK(kSapphireRapids.family == 6);
  CHECK(kSapphireRapids.model == 0x8F);
  CHECK(kGenoa.vendor == CpuVendor::amd);
  CHECK(kGenoa.family == 0x19);
  CHECK(kGenoa.model == 0x11);
  CHECK(is_zen(kGenoa));
  CHECK(kBulldozer.family == 0x15);
  CHECK_FALSE(is_zen(kBulldozer));
  CHECK(is_zen(decode_cpuid(registers("HygonGenuine", 0x00900F01))));
  CHECK(decode_cpuid(registers("VIA VIA VIA ", 0x6F0)).vendor == CpuVendor::unknown);
}

TEST_CASE("Intel: MSR 0x34 through pread on <devfs>/cpu/N/msr", "[smi]") {
  Rig rig;
  rig.tree.msr(0, msr::kSmiCount, 0x1'0000'0007);  // bits 63:32 are reserved
  SmiSourceOptions o;
  o.cpuid = &kSapphireRapids;
  o.probe_cpu = 0;
  std::string error;
  auto source = open_smi_source(rig.tree.paths(), o, &error);
  REQUIRE(source);
  CHECK(source->kind() == SmiSourceKind::intel_msr);
  CHECK(source->counter_bits() == 32);
  auto r = source->read(0);
  REQUIRE(r.ok);
  CHECK(r.count == 7);
}

TEST_CASE("Intel without the msr device falls back to the perf msr PMU's smi event", "[smi]") {
  Rig rig;
  rig.tree.pmu_event("msr", 9, "smi", "event=0x04");
  auto pmu = std::make_shared<test::FakePmu>();
  pmu->counts[{4, 1}] = 42;
  SmiSourceOptions o{SmiSourceKind::automatic, &kSapphireRapids, pmu, 1};
  std::string error;
  auto source = open_smi_source(rig.tree.paths(), o, &error);
  REQUIRE(source);
  CHECK(source->kind() == SmiSourceKind::perf_msr);
  REQUIRE(pmu->opens.size() == 1);
  CHECK(pmu->opens[0].spec.type == 9);
  CHECK(pmu->opens[0].spec.config == 4);
  CHECK(pmu->opens[0].cpu == 1);
  CHECK(source->read(1).count == 42);
}

TEST_CASE("AMD Zen: PMC event 0x2B via perf, MSR 0x34 never read", "[smi]") {
  Rig rig;
  // An MSR file that would answer: it must be ignored on AMD.
  rig.tree.msr(0, msr::kSmiCount, 999);
  auto pmu = std::make_shared<test::FakePmu>();
  pmu->counts[{0x2B, 0}] = 5;
  SmiSourceOptions o{SmiSourceKind::automatic, &kGenoa, pmu, 0};
  std::string error;
  auto source = open_smi_source(rig.tree.paths(), o, &error);
  REQUIRE(source);
  CHECK(source->kind() == SmiSourceKind::amd_pmc);
  REQUIRE(pmu->opens.size() == 1);
  CHECK(pmu->opens[0].spec.type == PERF_TYPE_RAW);
  CHECK(pmu->opens[0].spec.config == 0x2B);
  CHECK(source->read(0).count == 5);

  SECTION("pre-Zen AMD has no known counter and says so") {
    o.cpuid = &kBulldozer;
    CHECK_FALSE(open_smi_source(rig.tree.paths(), o, &error));
    CHECK(contains(error, "family 0x15"));
    CHECK(contains(error, "never read on AMD"));
  }
  SECTION("a forced source bypasses the vendor check") {
    o.kind = SmiSourceKind::intel_msr;
    auto forced = open_smi_source(rig.tree.paths(), o, &error);
    REQUIRE(forced);
    CHECK(forced->read(0).count == 999);
  }
}

TEST_CASE("absent hardware: one message naming what is missing and the fix", "[smi]") {
  Rig rig;
  auto pmu = std::make_shared<test::FakePmu>();
  std::string error;

  SECTION("Intel VM without the msr driver or an msr PMU") {
    SmiSourceOptions o{SmiSourceKind::automatic, &kSapphireRapids, pmu, 0};
    CHECK_FALSE(open_smi_source(rig.tree.paths(), o, &error));
    CHECK(contains(error, rig.tree.msr_file(0) + " does not exist"));
    CHECK(contains(error, "modprobe msr"));
    CHECK(contains(error, "events/smi is absent"));
  }
  SECTION("a CPU that does not implement MSR 0x34 (rdmsr faults: EIO)") {
    rig.tree.short_msr_file(0);
    SmiSourceOptions o{SmiSourceKind::intel_msr, &kSapphireRapids, pmu, 0};
    CHECK_FALSE(open_smi_source(rig.tree.paths(), o, &error));
    CHECK(contains(error, "MSR 0x34 faulted (EIO)"));
  }
  SECTION("perf_event_paranoid forbids per-CPU events") {
    rig.tree.perf_paranoid(2);
    pmu->open_errno = EACCES;
    SmiSourceOptions o{SmiSourceKind::automatic, &kGenoa, pmu, 3};
    CHECK_FALSE(open_smi_source(rig.tree.paths(), o, &error));
    CHECK(contains(error, "CAP_PERFMON"));
    CHECK(contains(error, "perf_event_paranoid <= 0 (it is 2)"));
    CHECK(contains(error, "on CPU 3"));
  }
  SECTION("no hardware PMU (a VM without PMU passthrough)") {
    pmu->open_errno = ENOENT;
    SmiSourceOptions o{SmiSourceKind::automatic, &kGenoa, pmu, 0};
    CHECK_FALSE(open_smi_source(rig.tree.paths(), o, &error));
    CHECK(contains(error, "raw event 0x2B (LS_SMI_RX)"));
    CHECK(contains(error, "expose the host PMU"));
  }
  SECTION("the sampler turns it into up=0 with that message") {
    rig.tree.cpus("0-1");
    auto s = rig.sampler(smi_only(), kSapphireRapids, pmu);
    auto out = s->sample(rig.t0);
    CHECK_FALSE(out.ok);
    CHECK(contains(out.error, "SMI counter unavailable: Intel CPU, but neither"));
  }
}

TEST_CASE("the perf msr PMU event spec is parsed from sysfs", "[smi]") {
  Rig rig;
  rig.tree.pmu_event("msr", 11, "smi", "event=0x04");
  rig.tree.pmu_event("odd", 12, "smi", "config=0x04,umask=1");
  std::string error;
  auto spec = sysfs_pmu_event(rig.tree.paths().sysfs, "msr", "smi", &error);
  REQUIRE(spec);
  CHECK(spec->type == 11);
  CHECK(spec->config == 4);
  CHECK_FALSE(sysfs_pmu_event(rig.tree.paths().sysfs, "odd", "smi", &error));
  CHECK(contains(error, "cannot parse"));
}

TEST_CASE("counter deltas are taken modulo the counter width", "[smi]") {
  CHECK(counter_delta(0xFFFF'FFF0, 0x10, 32) == 0x20);
  CHECK(counter_delta(5, 9, 32) == 4);
  CHECK(counter_delta(~0ull - 1, 3, 64) == 5);
}
