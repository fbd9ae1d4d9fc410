#include "collectors/tsc_gap.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "measure/tsc_detector.hpp"
#include "metrics/metrics.hpp"
#include "platform/hwlat_tracer.hpp"

namespace bmcquiet {
namespace {

using namespace std::chrono_literals;

constexpr const char* kGapSeconds = "bmcquiet_tsc_gap_seconds";
constexpr const char* kGapsTotal = "bmcquiet_tsc_gaps_total";
constexpr const char* kSampledTotal = "bmcquiet_tsc_sampled_seconds_total";
constexpr const char* kStolenTotal = "bmcquiet_tsc_stolen_seconds_total";
constexpr const char* kThreshold = "bmcquiet_tsc_gap_threshold_seconds";
constexpr const char* kInfo = "bmcquiet_tsc_detector_info";

struct Settings {
  std::optional<int> cpu;  // nullopt: the first housekeeping CPU
  TscDetectorConfig detector;
  bool hwlat = false;
  std::string tracefs = "/sys/kernel/tracing";
};

// What the detector thread hands to the loop, under a short lock.
struct Pending {
  std::vector<double> buckets = std::vector<double>(kGapBucketsSeconds.size() + 1);
  double gap_sum = 0, sampled = 0, stolen = 0;
  std::array<std::uint64_t, kGapCauses.size()> by_cause{};
  bool smi_measured = false;
  std::uint64_t windows = 0;

  void add_gap(double seconds) {
    buckets[gap_bucket(seconds)] += 1;
    gap_sum += seconds;
  }
};

class TscGapCollector final : public Collector {
 public:
  TscGapCollector(const CollectorEnv& env, Settings settings)
      : metrics_(env.metrics), paths_(env.paths), cpus_(env.cpus), settings_(std::move(settings)) {}

  ~TscGapCollector() override { stop(); }

  void start() override {
    metrics_.gauge(kThreshold, "Gaps between TSC reads longer than this are counted as stolen time")
        .Set(double(settings_.detector.threshold.count()) / 1e9);
    auto cpu = pick_cpu();
    if (!cpu) return;
    settings_.detector.cpu = *cpu;
    settings_.detector.procfs = paths_.procfs;
    settings_.hwlat ? start_hwlat() : start_detector();
  }

  void collect(CollectDone done) override { done(collect_once()); }

  void stop() override {
    if (detector_) {
      detector_->stop();
      // Windows finished since the last collect still count (reload keeps totals).
      publish(take_pending());
    }
    if (tracer_) tracer_->release();
  }

 private:
  std::optional<int> pick_cpu() {
    auto roles = resolve_cpu_roles(paths_.sysfs, cpus_);
    if (!roles.error.empty()) {
      start_error_ = roles.error;
      return std::nullopt;
    }
    if (!settings_.cpu) {
      if (roles.housekeeping.empty()) {
        start_error_ = "no housekeeping CPU to run the TSC detector on; set cpus.housekeeping";
        return std::nullopt;
      }
      return *roles.housekeeping.begin();
    }
    if (roles.isolated.count(*settings_.cpu)) {
      start_error_ = fmt::format(
          "collectors.tsc_gap.cpu {} is an isolated CPU: the detector spins and would disturb the "
          "workload; pick a housekeeping CPU ({})",
          *settings_.cpu, format_cpu_list(roles.housekeeping));
      return std::nullopt;
    }
    return settings_.cpu;
  }

  void start_detector() {
    smi_ = std::make_shared<LocalSmiCounter>(paths_, settings_.detector.cpu);
    detector_ = std::make_unique<TscDetector>(settings_.detector, LocalSmiCounter::reader(smi_),
                                              [this](WindowReport w) { hand_over(w); });
    detector_->start();
  }

  void start_hwlat() {
    HwlatSettings h;
    h.tracefs = settings_.tracefs;
    h.cpu = settings_.detector.cpu;
    auto us = [](std::chrono::nanoseconds d) {
      return std::chrono::duration_cast<std::chrono::microseconds>(d);
    };
    h.width = us(settings_.detector.width);
    h.window = us(settings_.detector.period);
    h.threshold = us(settings_.detector.threshold);
    tracer_ = HwlatTracer::acquire(h, &start_error_);
    last_drain_ = std::chrono::steady_clock::now();
    if (tracer_) publish_info("hwlat", "none", "kernel", "no");
  }

  // On the detector thread, between windows.
  void hand_over(const WindowReport& w) {
    std::lock_guard lock(mutex_);
    for (const auto& g : w.gaps) pending_.add_gap(double(g.duration_ns) / 1e9);
    pending_.sampled += w.sampled_seconds;
    pending_.stolen += w.stolen_seconds;
    for (std::size_t i = 0; i < pending_.by_cause.size(); ++i)
      pending_.by_cause[i] += w.by_cause[i];
    pending_.smi_measured = pending_.smi_measured || w.events.smi.has_value();
    ++pending_.windows;
  }

  Pending take_pending() {
    Pending taken;
    std::lock_guard lock(mutex_);
    std::swap(taken, pending_);
    return taken;
  }

  CollectOutcome collect_once() {
    if (!start_error_.empty()) return CollectOutcome::failure(start_error_);
    if (tracer_) return collect_hwlat();
    if (!detector_) return CollectOutcome::success();
    if (auto error = detector_->error()) return CollectOutcome::failure(*error);
    Pending taken = take_pending();
    // After the first window, when it is known whether the SMI count is readable.
    if (!info_published_ && taken.windows > 0) publish_detector_info(taken.smi_measured);
    publish(taken);
    return CollectOutcome::success();
  }

  CollectOutcome collect_hwlat() {
    std::string error;
    auto samples = tracer_->drain(&error);
    if (!error.empty()) return CollectOutcome::failure(error);
    const auto now = std::chrono::steady_clock::now();
    Pending taken;
    const double elapsed = std::chrono::duration<double>(now - last_drain_).count();
    last_drain_ = now;
    taken.sampled = elapsed * double(settings_.detector.width.count()) /
                    double(settings_.detector.period.count());
    for (auto ns : samples) {
      taken.add_gap(double(ns) / 1e9);
      taken.stolen += double(ns) / 1e9;
    }
    // hwlat samples with interrupts off: what remains is NMI, SMI or the host.
    taken.by_cause[std::size_t(GapCause::unknown)] = samples.size();
    publish(taken);
    return CollectOutcome::success();
  }

  void publish_detector_info(bool smi_measured) {
    auto info = detector_->info();
    if (!info) return;  // still calibrating
    publish_info("tsc", info->hypervisor_vendor, info->frequency.source,
                 smi_measured ? "yes" : "no");
    if (info->hypervisor) {
      log_event(spdlog::level::warn,
                "TSC gaps are measured under a hypervisor: the host's own work shows up as gaps",
                {{"CPU", std::to_string(settings_.detector.cpu)},
                 {"HYPERVISOR", info->hypervisor_vendor}});
    }
    if (auto why = smi_->error(); !why.empty())
      spdlog::info("TSC gaps on CPU {} are never labelled smi: {}", settings_.detector.cpu, why);
  }

  void publish_info(const char* backend, const std::string& hypervisor,
                    const std::string& frequency_source, const char* smi) {
    info_published_ = true;
    metrics_.set_info(kInfo,
                      "The TSC-gap detector's backend, CPU, hypervisor (none on bare metal), "
                      "TSC frequency source and whether gaps can be attributed to SMIs",
                      {{"backend", backend},
                       {"cpu", std::to_string(settings_.detector.cpu)},
                       {"hypervisor", hypervisor},
                       {"frequency_source", frequency_source},
                       {"smi_attribution", smi}});
    smi_attribution_ = std::string_view(smi) == "yes";
  }

  void publish(const Pending& p) {
    metrics_
        .histogram(kGapSeconds, "Gaps between consecutive TSC reads above the threshold",
                   kGapBucketsSeconds)
        .ObserveMultiple(p.buckets, p.gap_sum);
    metrics_.counter(kSampledTotal, "Time the detector spent reading the TSC").Increment(p.sampled);
    metrics_.counter(kStolenTotal, "Sum of TSC gaps above the threshold").Increment(p.stolen);
    for (auto cause : kGapCauses) {
      // Without an SMI count no gap can be called smi: the series stays absent.
      if (cause == GapCause::smi && !smi_attribution_) continue;
      metrics_
          .counter(kGapsTotal,
                   "TSC gaps by cause: smi (local SMI count moved), preempt (another task ran), "
                   "irq (the CPU took interrupts), unknown (nothing the OS saw)",
                   {{"cause", std::string(to_string(cause))}})
          .Increment(double(p.by_cause[std::size_t(cause)]));
    }
  }

  Metrics& metrics_;
  Paths paths_;
  CpuSelection cpus_;
  Settings settings_;
  std::string start_error_;
  bool info_published_ = false;
  bool smi_attribution_ = false;
  std::mutex mutex_;
  Pending pending_;
  std::shared_ptr<LocalSmiCounter> smi_;
  std::unique_ptr<HwlatTracer> tracer_;
  std::chrono::steady_clock::time_point last_drain_;
  std::unique_ptr<TscDetector> detector_;  // last: joined before the rest goes
};

std::optional<int> read_cpu(ConfigSection& section) {
  auto text = section.get_string("cpu", "auto");
  if (text == "auto") return std::nullopt;
  int cpu = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cpu);
  if (ec != std::errc() || end != text.data() + text.size() || cpu < 0 || cpu > kMaxCpuId) {
    section.error("cpu", fmt::format("'{}' is not a CPU number; write auto (the first "
                                     "housekeeping CPU) or a number from 0 to {}",
                                     text, kMaxCpuId));
    return std::nullopt;
  }
  return cpu;
}

}  // namespace

std::unique_ptr<Collector> make_tsc_gap_collector(const CollectorEnv& env, ConfigSection& section) {
  Settings s;
  s.cpu = read_cpu(section);
  auto& d = s.detector;
  d.width = section.get_duration("width", 100ms, 1ms, 1s);
  d.period = section.get_duration("period", 10s, 2ms, std::chrono::hours(1));
  d.threshold = section.get_duration("threshold", 10us, 1us, 1s);
  d.sched_fifo = section.get_bool("sched_fifo", false);
  d.rt_priority = int(section.get_int("priority", 10, 1, 98));
  s.hwlat = section.get_enum("backend", "tsc", {"tsc", "hwlat"}) == "hwlat";
  s.tracefs = section.get_string("tracefs", "/sys/kernel/tracing");
  d.cpu = s.cpu.value_or(0);
  if (auto problem = validate_detector_config(d); !problem.key.empty())
    section.error(problem.key, problem.message);
  return std::make_unique<TscGapCollector>(env, std::move(s));
}

}  // namespace bmcquiet
