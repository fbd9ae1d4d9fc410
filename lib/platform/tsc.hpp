// The time stamp counter: ordered reads, whether it is invariant, its
// frequency, and the hypervisor underneath (whose own work shows up as gaps).
#pragma once

#include <time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bmcquiet {

// lfence keeps rdtsc from being hoisted above earlier loads (Linux's
// rdtsc_ordered(), oslat's frc()); without it two reads can straddle work.
inline std::uint64_t read_tsc() {
#if defined(__x86_64__) || defined(__i386__)
  std::uint32_t lo = 0, hi = 0;
  __asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return (std::uint64_t(hi) << 32) | lo;
#else
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return std::uint64_t(ts.tv_sec) * 1000000000ULL + std::uint64_t(ts.tv_nsec);
#endif
}

// The flags of the first "flags" line of /proc/cpuinfo that matter here.
struct CpuinfoFlags {
  bool constant_tsc = false;  // ticks at a fixed rate whatever the P-state
  bool nonstop_tsc = false;   // keeps ticking in deep C-states
  bool hypervisor = false;    // running as a guest
};
std::optional<CpuinfoFlags> parse_cpuinfo_flags(std::string_view cpuinfo);

// Reads <procfs>/cpuinfo; error names the file and what is missing.
struct InvariantTscCheck {
  bool ok = false;
  bool hypervisor = false;
  std::string error;
};
InvariantTscCheck check_invariant_tsc(const std::string& procfs);

// "kvm", "vmware", "hyperv", "xen", "other" from CPUID 0x40000000; "none" when
// the hypervisor flag is clear.
std::string hypervisor_vendor(bool hypervisor_flag);

struct TscFrequency {
  double hz = 0;
  std::string source;  // "cpuid_0x15" or "calibrated"
};
// CPUID 0x15 when it enumerates the crystal (exact); otherwise calibrated
// against CLOCK_MONOTONIC_RAW over `calibration` (blocks that long). 0x16's
// base MHz is nominal and off by up to a few per mille, so it is not used.
TscFrequency tsc_frequency(std::int64_t calibration_ns = 50'000'000);

// One (TSC, clock) pair taken as close together as the machine allows.
struct TscClockPair {
  std::uint64_t tsc = 0;
  std::int64_t ns = 0;
};
TscClockPair sample_tsc_clock(clockid_t clock);

// Converts TSC values inside [a, b] to b's clock by linear interpolation.
std::int64_t tsc_to_clock_ns(const TscClockPair& a, const TscClockPair& b, std::uint64_t tsc);

}  // namespace bmcquiet
