#include "platform/cpu_throttle.hpp"

#include <fmt/format.h>

namespace bmcquiet {

const char* to_string(ThermalSignal signal) {
  switch (signal) {
    case ThermalSignal::thermal:
      return "thermal";
    case ThermalSignal::prochot:
      return "prochot";
    case ThermalSignal::critical:
      return "critical_temperature";
  }
  return "unknown";
}

ThermalBits thermal_bits(std::uint64_t therm_status, ThermalSignal signal) {
  // Bits 0/1 thermal, 2/3 PROCHOT#/FORCEPR#, 4/5 critical temperature.
  const int shift = 2 * static_cast<int>(signal);
  return {((therm_status >> shift) & 1) != 0, ((therm_status >> (shift + 1)) & 1) != 0};
}

std::unique_ptr<ThrottleCounters> ThrottleCounters::open(const Paths& paths, bool thermal,
                                                         std::shared_ptr<PerfBackend> perf,
                                                         int probe_cpu, std::string* why_not) {
  std::unique_ptr<ThrottleCounters> t(new ThrottleCounters());
  t->paths_ = paths;
  t->thermal_ = thermal;
  t->perf_ = std::move(perf);
  ThrottleRead probe;
  if (t->read_msr(probe_cpu, msr::kAperf, probe)) return t;
  const auto msr_error = MsrDevice(paths.devfs, probe_cpu).read(msr::kAperf).error;
  t->msr_.clear();
  std::string perf_error;
  auto aperf = sysfs_pmu_event(paths.sysfs, "msr", "aperf", &perf_error);
  auto mperf = aperf ? sysfs_pmu_event(paths.sysfs, "msr", "mperf", &perf_error) : std::nullopt;
  if (aperf && mperf) {
    t->use_msr_ = false;
    t->thermal_ = false;  // the perf msr PMU has no thermal status events
    t->aperf_spec_ = *aperf;
    t->mperf_spec_ = *mperf;
    if (t->read_perf(t->aperf_, t->aperf_spec_, probe_cpu, probe)) return t;
    perf_error = PerfCounter(t->perf_, *aperf, probe_cpu, paths.procfs).read().error;
  }
  if (why_not)
    *why_not = fmt::format("APERF/MPERF: msr device: {}; perf: {}", msr_error, perf_error);
  return nullptr;
}

std::optional<std::uint64_t> ThrottleCounters::read_msr(int cpu, std::uint32_t address,
                                                        ThrottleRead& out) {
  ++out.reads;
  auto& dev = msr_.try_emplace(cpu, paths_.devfs, cpu).first->second;
  auto r = dev.read(address);
  return r.ok ? std::optional(r.value) : std::nullopt;
}

std::optional<std::uint64_t> ThrottleCounters::read_perf(std::map<int, PerfCounter>& counters,
                                                         const PerfEventSpec& spec, int cpu,
                                                         ThrottleRead& out) {
  ++out.reads;
  auto it = counters.find(cpu);
  if (it == counters.end())
    it = counters.emplace(cpu, PerfCounter(perf_, spec, cpu, paths_.procfs)).first;
  auto r = it->second.read();
  return r.ok ? std::optional(r.value) : std::nullopt;
}

ThrottleRead ThrottleCounters::read(int cpu, bool with_package) {
  ThrottleRead out;
  if (!use_msr_) {
    out.aperf = read_perf(aperf_, aperf_spec_, cpu, out);
    out.mperf = read_perf(mperf_, mperf_spec_, cpu, out);
    return out;
  }
  // MPERF first: if the pair straddles an SMI, APERF/MPERF errs low, not high.
  out.mperf = read_msr(cpu, msr::kMperf, out);
  out.aperf = read_msr(cpu, msr::kAperf, out);
  if (thermal_) {
    out.core_therm = read_msr(cpu, msr::kThermStatus, out);
    if (with_package) out.package_therm = read_msr(cpu, msr::kPackageThermStatus, out);
  }
  return out;
}

void ThrottleCounters::forget(int cpu) {
  msr_.erase(cpu);
  aperf_.erase(cpu);
  mperf_.erase(cpu);
}

std::uint64_t ThrottleCounters::syscalls() const {
  std::uint64_t n = 0;
  for (const auto& [cpu, dev] : msr_) n += dev.syscalls();
  for (const auto* counters : {&aperf_, &mperf_})
    for (const auto& [cpu, counter] : *counters) n += counter.syscalls();
  return n;
}

}  // namespace bmcquiet
