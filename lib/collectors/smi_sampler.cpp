#include "collectors/smi_sampler.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/files.hpp"
#include "metrics/metrics.hpp"

namespace bmcquiet {
namespace {

constexpr const char* kSmiTotal = "bmcquiet_smi_total";
constexpr const char* kSmiCpuTotal = "bmcquiet_smi_cpu_total";
constexpr const char* kReads = "bmcquiet_smi_sample_reads_total";
constexpr const char* kRemoteReads = "bmcquiet_smi_sample_remote_reads_total";
constexpr const char* kReadErrors = "bmcquiet_smi_read_errors_total";
constexpr const char* kDisagreements = "bmcquiet_smi_disagreements_total";
constexpr const char* kMaxDeviation = "bmcquiet_smi_max_deviation";
constexpr const char* kSourceInfo = "bmcquiet_smi_source_info";
constexpr const char* kAperf = "bmcquiet_cpu_aperf_cycles_total";
constexpr const char* kMperf = "bmcquiet_cpu_mperf_cycles_total";
constexpr const char* kThermalEvents = "bmcquiet_thermal_throttle_events_total";

std::uint64_t wrap_free_delta(std::optional<std::uint64_t> before,
                              std::optional<std::uint64_t> now) {
  // 64-bit cycle counters: a smaller value means a reset (resume), not a wrap.
  return before && now && *now >= *before ? *now - *before : 0;
}

}  // namespace

const char* to_string(CpuClass c) { return c == CpuClass::isolated ? "isolated" : "housekeeping"; }

struct SmiSampler::Reading {
  int cpu;
  CpuClass cls;
  SmiRead smi;
  ThrottleRead throttle;
  int package = -1;  // set when package_therm was read for this package
};

struct SmiSampler::CpuState {
  std::optional<std::uint64_t> smi;     // last raw count
  std::uint64_t reference_at_read = 0;  // reference_total_ when smi was read
  std::optional<std::uint64_t> aperf, mperf, core_therm;
};

SmiSampler::SmiSampler(Metrics& metrics, Paths paths, CpuSelection cpus, SmiSettings settings,
                       SmiHardware hardware)
    : metrics_(metrics),
      paths_(std::move(paths)),
      cpus_(std::move(cpus)),
      settings_(settings),
      hw_(std::move(hardware)) {
  if (!hw_.pinner) hw_.pinner = make_thread_pinner();
  if (hw_.cpuid) {
    cpuid_ = *hw_.cpuid;
  } else if (auto regs = read_cpuid()) {
    cpuid_ = decode_cpuid(*regs);
  }
}

SmiSampler::~SmiSampler() = default;

std::uint64_t SmiSampler::syscalls() const {
  return (source_ ? source_->syscalls() : 0) + (throttle_ ? throttle_->syscalls() : 0) +
         hw_.pinner->syscalls();
}

bool SmiSampler::ensure_open(int probe_cpu, std::string* error) {
  if (source_) return true;
  SmiSourceOptions options;
  options.kind = settings_.source;
  options.cpuid = &cpuid_;
  options.perf = hw_.perf;
  options.probe_cpu = probe_cpu;
  source_ = open_smi_source(paths_, options, error);
  if (!source_) return false;
  if (settings_.throttle) {
    // Thermal status MSRs are Intel's; a forced intel_msr source says the operator knows.
    const bool intel =
        cpuid_.vendor == CpuVendor::intel || source_->kind() == SmiSourceKind::intel_msr;
    throttle_ = ThrottleCounters::open(paths_, intel, hw_.perf, probe_cpu, &throttle_missing_);
    // Once per source open, not per round: the info metric says throttle="none".
    if (!throttle_) spdlog::info("smi: CPU throttle signals unavailable: {}", throttle_missing_);
  }
  return true;
}

int SmiSampler::package_of(int cpu) {
  auto [it, fresh] = package_.try_emplace(cpu, 0);
  if (fresh) {
    auto text = read_small_file(
        fmt::format("{}/devices/system/cpu/cpu{}/topology/physical_package_id", paths_.sysfs, cpu));
    int id = 0;
    if (text) std::from_chars(text->data(), text->data() + text->size(), id);
    it->second = id;
  }
  return it->second;
}

SmiSampler::Reading SmiSampler::read_cpu(int cpu, CpuClass cls, bool pin,
                                         std::map<int, bool>& packages_seen) {
  const bool local = pin && hw_.pinner->pin(cpu);
  Reading r{cpu, cls, source_->read(cpu), {}, -1};
  std::uint64_t reads = 1;
  if (throttle_) {
    const int package = package_of(cpu);
    const bool with_package = !packages_seen[package];
    r.throttle = throttle_->read(cpu, with_package);
    if (r.throttle.package_therm) {
      packages_seen[package] = true;
      r.package = package;
    }
    reads += r.throttle.reads;
  }
  const auto c = static_cast<int>(cls);
  stats_.reads[c] += reads;
  if (!local) stats_.remote[c] += reads;
  return r;
}

CollectOutcome SmiSampler::sample(std::chrono::steady_clock::time_point now) {
  stats_ = {};
  auto roles = resolve_cpu_roles(paths_.sysfs, cpus_);
  if (!roles.error.empty()) return CollectOutcome::failure(roles.error);
  // Every online CPU that is not housekeeping is sampled the slow way.
  std::vector<int> housekeeping, isolated;
  for (int cpu : roles.online)
    (roles.housekeeping.count(cpu) ? housekeeping : isolated).push_back(cpu);
  if (housekeeping.empty())
    return CollectOutcome::failure(fmt::format(
        "no online housekeeping CPU to read the SMI count on (online {}, isolated {}); leave at "
        "least one CPU out of cpus.isolated",
        format_cpu_list(roles.online), format_cpu_list(roles.isolated)));
  std::string error;
  if (!ensure_open(housekeeping.front(), &error))
    return CollectOutcome::failure("SMI counter unavailable: " + error);

  const auto slow = settings_.isolated_interval;
  stats_.isolated_read =
      slow.count() > 0 && !isolated.empty() && (!last_isolated_ || now - *last_isolated_ >= slow);
  if (stats_.isolated_read) last_isolated_ = now;

  std::vector<Reading> readings;
  std::map<int, bool> packages_seen;
  for (int cpu : housekeeping)
    readings.push_back(read_cpu(cpu, CpuClass::housekeeping, settings_.pin, packages_seen));
  if (settings_.pin) hw_.pinner->unpin(housekeeping);
  if (stats_.isolated_read)
    for (int cpu : isolated)
      readings.push_back(read_cpu(cpu, CpuClass::isolated, false, packages_seen));

  // A CPU that went offline starts over when it returns, with fresh fds
  // (the kernel answers ENXIO on the old ones).
  std::erase_if(state_, [&](const auto& kv) {
    if (roles.online.count(kv.first)) return false;
    source_->forget(kv.first);
    if (throttle_) throttle_->forget(kv.first);
    return true;
  });
  for (auto cls : {CpuClass::housekeeping, CpuClass::isolated}) {
    const auto c = static_cast<int>(cls);
    const Labels labels{{"cpu_class", to_string(cls)}};
    metrics_
        .counter(kReads, "Counter register reads by CPU class (remote ones cost an IPI)", labels)
        .Increment(double(stats_.reads[c]));
    metrics_
        .counter(kRemoteReads, "Counter reads issued from another CPU: each one IPIs the CPU read",
                 labels)
        .Increment(double(stats_.remote[c]));
  }
  const auto first_ok = std::find_if(readings.begin(), readings.end(), [](const Reading& r) {
    return r.cls == CpuClass::housekeeping && r.smi.ok;
  });
  if (first_ok == readings.end()) {
    const auto message = readings.front().smi.error;
    // Reprobe next round (the msr driver may get loaded), from a clean slate:
    // another source's raw counts are not comparable with these.
    source_.reset();
    throttle_.reset();
    state_.clear();
    package_therm_.clear();
    return CollectOutcome::failure("SMI count unreadable on every housekeeping CPU: " + message);
  }
  account(readings);
  return CollectOutcome::success();
}

void SmiSampler::account(std::vector<Reading>& readings) {
  const auto bits = source_->counter_bits();
  auto& total = metrics_.counter(
      kSmiTotal, "SMIs counted on the reference housekeeping CPU (SMIs are broadcast to all CPUs)");
  // The reference: the first housekeeping CPU read, provided it was also read
  // last round so the window is exact (a new reference adds nothing once).
  int reference = -1;
  for (const auto& r : readings) {
    if (r.cls != CpuClass::housekeeping || !r.smi.ok) continue;
    if (reference < 0) reference = r.cpu;
    auto it = state_.find(r.cpu);
    if (it == state_.end() || !it->second.smi) continue;
    reference = r.cpu;
    const auto delta = counter_delta(*it->second.smi, r.smi.count, bits);
    total.Increment(double(delta));
    reference_total_ += delta;
    break;
  }
  if (reference != reference_cpu_) publish_info(reference);

  std::uint64_t max_deviation = 0;
  bool compared = false;
  for (const auto& r : readings) {
    const Labels cls{{"cpu_class", to_string(r.cls)}};
    auto& errors = metrics_.counter(kReadErrors, "Failed SMI count reads by CPU class", cls);
    auto& disagreements = metrics_.counter(
        kDisagreements,
        "CPU reads whose SMI delta differed from the reference CPU's over the same window by more "
        "than the tolerance (SMIs that were not broadcast)",
        cls);
    auto& state = state_[r.cpu];
    if (!r.smi.ok) {
      errors.Increment();
      state = {};  // hot-unplugged or device gone: rebase when it answers again
      continue;
    }
    auto* per_cpu = settings_.per_cpu
                        ? &metrics_.counter(kSmiCpuTotal, "SMIs per CPU (per_cpu: true)",
                                            {{"cpu", std::to_string(r.cpu)}})
                        : nullptr;
    if (state.smi) {
      const auto delta = counter_delta(*state.smi, r.smi.count, bits);
      if (per_cpu) per_cpu->Increment(double(delta));
      if (r.cpu != reference) {
        const auto expected = reference_total_ - state.reference_at_read;
        const auto deviation = delta > expected ? delta - expected : expected - delta;
        max_deviation = std::max(max_deviation, deviation);
        compared = true;
        if (deviation > settings_.tolerance) disagreements.Increment();
      }
    }
    state.smi = r.smi.count;
    state.reference_at_read = reference_total_;
    account_throttle(r, state);
  }
  if (compared)
    metrics_
        .gauge(kMaxDeviation,
               "Largest |SMI delta of a CPU - delta of the reference CPU| in the last round that "
               "compared CPUs")
        .Set(double(max_deviation));
}

void SmiSampler::account_throttle(const Reading& r, CpuState& state) {
  if (!throttle_) return;
  const Labels cls{{"cpu_class", to_string(r.cls)}};
  metrics_.counter(kAperf, "APERF cycles (actual clock while in C0), summed over CPUs read", cls)
      .Increment(double(wrap_free_delta(state.aperf, r.throttle.aperf)));
  metrics_.counter(kMperf, "MPERF cycles (TSC-rate clock while in C0), summed over CPUs read", cls)
      .Increment(double(wrap_free_delta(state.mperf, r.throttle.mperf)));
  state.aperf = r.throttle.aperf;
  state.mperf = r.throttle.mperf;
  if (!r.throttle.core_therm && !r.throttle.package_therm) return;
  // An event is a status bit that rose, or a log bit that appeared, between two reads.
  auto count_edges = [&](const char* scope, std::optional<std::uint64_t> before,
                         std::uint64_t now) {
    for (auto signal : kThermalSignals) {
      auto& events = metrics_.counter(
          kThermalEvents,
          "Thermal-throttle, PROCHOT# and critical-temperature events seen in IA32_(PACKAGE_)"
          "THERM_STATUS between two reads",
          {{"scope", scope}, {"signal", to_string(signal)}});
      if (!before) continue;
      const auto was = thermal_bits(*before, signal), is = thermal_bits(now, signal);
      if ((is.status && !was.status) || (is.log && !was.log)) events.Increment();
    }
  };
  if (r.throttle.core_therm) {
    count_edges("core", state.core_therm, *r.throttle.core_therm);
    state.core_therm = r.throttle.core_therm;
  }
  if (r.throttle.package_therm) {
    auto [it, fresh] = package_therm_.try_emplace(r.package, *r.throttle.package_therm);
    count_edges("package", fresh ? std::nullopt : std::optional(it->second),
                *r.throttle.package_therm);
    it->second = *r.throttle.package_therm;
  }
}

void SmiSampler::publish_info(int reference_cpu) {
  reference_cpu_ = reference_cpu;
  metrics_.set_info(kSourceInfo, "The SMI counter in use and the CPU whose count is exported",
                    {{"source", to_string(source_->kind())},
                     {"vendor", to_string(cpuid_.vendor)},
                     {"reference_cpu", std::to_string(reference_cpu)},
                     {"throttle", throttle_ ? throttle_->source() : "none"}});
}

}  // namespace bmcquiet
