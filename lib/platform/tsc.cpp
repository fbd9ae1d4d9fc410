#include "platform/tsc.hpp"

#include <cpuid.h>

#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "core/files.hpp"

namespace bmcquiet {

std::optional<CpuinfoFlags> parse_cpuinfo_flags(std::string_view cpuinfo) {
  while (!cpuinfo.empty()) {
    auto eol = cpuinfo.find('\n');
    auto line = cpuinfo.substr(0, eol);
    cpuinfo = eol == std::string_view::npos ? std::string_view{} : cpuinfo.substr(eol + 1);
    auto colon = line.find(':');
    if (line.rfind("flags", 0) != 0 || colon == std::string_view::npos) continue;
    auto name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name != "flags") continue;
    CpuinfoFlags flags;
    auto rest = line.substr(colon + 1);
    while (!rest.empty()) {
      auto space = rest.find(' ');
      auto flag = rest.substr(0, space);
      rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
      if (flag == "constant_tsc") flags.constant_tsc = true;
      if (flag == "nonstop_tsc") flags.nonstop_tsc = true;
      if (flag == "hypervisor") flags.hypervisor = true;
    }
    return flags;
  }
  return std::nullopt;
}

InvariantTscCheck check_invariant_tsc(const std::string& procfs) {
  InvariantTscCheck check;
  const auto file = procfs + "/cpuinfo";
  auto text = read_small_file(file);
  if (!text) {
    check.error = fmt::format("cannot read {}; check --path.procfs", file);
    return check;
  }
  auto flags = parse_cpuinfo_flags(*text);
  if (!flags) {
    check.error =
        fmt::format("{} has no 'flags' line; cannot tell whether the TSC is invariant", file);
    return check;
  }
  check.hypervisor = flags->hypervisor;
  if (!flags->constant_tsc || !flags->nonstop_tsc) {
    check.error = fmt::format(
        "{}: the TSC is not invariant (missing{}{}); TSC gaps would be frequency changes and "
        "C-state stops, not stolen time: disable the tsc_gap collector on this machine",
        file, flags->constant_tsc ? "" : " constant_tsc", flags->nonstop_tsc ? "" : " nonstop_tsc");
    return check;
  }
  check.ok = true;
  return check;
}

std::string hypervisor_vendor(bool hypervisor_flag) {
  if (!hypervisor_flag) return "none";
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  __cpuid(0x40000000, a, b, c, d);
  char sig[13] = {};
  std::memcpy(sig, &b, 4);
  std::memcpy(sig + 4, &c, 4);
  std::memcpy(sig + 8, &d, 4);
  const std::string_view s(sig);
  if (s.starts_with("KVMKVMKVM")) return "kvm";
  if (s == "VMwareVMware") return "vmware";
  if (s == "Microsoft Hv") return "hyperv";
  if (s == "XenVMMXenVMM") return "xen";
#endif
  return "other";
}

TscClockPair sample_tsc_clock(clockid_t clock) {
  // The read with the shortest TSC bracket is the one least disturbed.
  TscClockPair best;
  std::uint64_t best_width = ~0ULL;
  for (int i = 0; i < 7; ++i) {
    timespec ts{};
    const auto t0 = read_tsc();
    ::clock_gettime(clock, &ts);
    const auto t1 = read_tsc();
    if (t1 - t0 < best_width) {
      best_width = t1 - t0;
      best.tsc = t0 + (t1 - t0) / 2;
      best.ns = std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    }
  }
  return best;
}

std::int64_t tsc_to_clock_ns(const TscClockPair& a, const TscClockPair& b, std::uint64_t tsc) {
  if (b.tsc <= a.tsc) return a.ns;
  const double slope = double(b.ns - a.ns) / double(b.tsc - a.tsc);
  return a.ns + std::int64_t(double(std::int64_t(tsc - a.tsc)) * slope);
}

namespace {

std::optional<double> cpuid_15_hz() {
#if defined(__x86_64__) || defined(__i386__)
  if (__get_cpuid_max(0, nullptr) < 0x15) return std::nullopt;
  unsigned denominator = 0, numerator = 0, crystal_hz = 0, d = 0;
  __cpuid_count(0x15, 0, denominator, numerator, crystal_hz, d);
  if (denominator == 0 || numerator == 0 || crystal_hz == 0) return std::nullopt;
  return double(crystal_hz) * numerator / denominator;
#else
  return std::nullopt;
#endif
}

}  // namespace

TscFrequency tsc_frequency(std::int64_t calibration_ns) {
  if (auto hz = cpuid_15_hz()) return {*hz, "cpuid_0x15"};
  const auto a = sample_tsc_clock(CLOCK_MONOTONIC_RAW);
  std::this_thread::sleep_for(std::chrono::nanoseconds(calibration_ns));
  const auto b = sample_tsc_clock(CLOCK_MONOTONIC_RAW);
  const double hz = b.ns > a.ns ? double(b.tsc - a.tsc) * 1e9 / double(b.ns - a.ns) : 0.0;
  return {hz, "calibrated"};
}

}  // namespace bmcquiet
