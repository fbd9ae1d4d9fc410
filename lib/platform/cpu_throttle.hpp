// Throttle signals next to the SMI count: APERF/MPERF (effective frequency =
// base × ΔAPERF/ΔMPERF) on Intel and AMD, and on Intel the thermal status
// MSRs whose status/log bits record thermal throttling, PROCHOT# and
// critical temperature. Read through the msr device, or — for APERF/MPERF
// only — the perf msr PMU's aperf/mperf events when the device is absent.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/paths.hpp"
#include "platform/msr.hpp"
#include "platform/perf_counter.hpp"

namespace bmcquiet {

// One signal of IA32_THERM_STATUS / IA32_PACKAGE_THERM_STATUS (same layout in
// bits 5:0): `status` is "happening now", `log` is sticky until cleared (the
// kernel's thermal interrupt handler clears it; bmcquiet never writes MSRs).
enum class ThermalSignal { thermal, prochot, critical };
inline constexpr ThermalSignal kThermalSignals[] = {ThermalSignal::thermal, ThermalSignal::prochot,
                                                    ThermalSignal::critical};
const char* to_string(ThermalSignal signal);

struct ThermalBits {
  bool status = false;
  bool log = false;
};
ThermalBits thermal_bits(std::uint64_t therm_status, ThermalSignal signal);

struct ThrottleRead {
  std::optional<std::uint64_t> aperf, mperf;
  std::optional<std::uint64_t> core_therm, package_therm;  // raw MSR values (Intel)
  std::uint64_t reads = 0;                                 // register reads issued (IPIs if remote)
};

class ThrottleCounters {
 public:
  // thermal: read the Intel thermal status MSRs too (never on AMD).
  // nullptr + *why_not when neither the msr device nor perf aperf/mperf works.
  static std::unique_ptr<ThrottleCounters> open(const Paths& paths, bool thermal,
                                                std::shared_ptr<PerfBackend> perf, int probe_cpu,
                                                std::string* why_not);

  ThrottleRead read(int cpu, bool with_package);
  const char* source() const { return use_msr_ ? "msr" : "perf_msr"; }
  std::uint64_t syscalls() const;
  void forget(int cpu);  // the CPU went offline: drop its fds

 private:
  ThrottleCounters() = default;
  std::optional<std::uint64_t> read_msr(int cpu, std::uint32_t address, ThrottleRead& out);
  std::optional<std::uint64_t> read_perf(std::map<int, PerfCounter>& counters,
                                         const PerfEventSpec& spec, int cpu, ThrottleRead& out);

  Paths paths_;
  bool use_msr_ = true;
  bool thermal_ = false;
  std::map<int, MsrDevice> msr_;
  std::shared_ptr<PerfBackend> perf_;
  PerfEventSpec aperf_spec_, mperf_spec_;
  std::map<int, PerfCounter> aperf_, mperf_;
};

}  // namespace bmcquiet
