#include "measure/tsc_detector.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>

#include <fmt/format.h>

#include "core/files.hpp"
#include "platform/proc_interrupts.hpp"
#include "platform/rt_throttle.hpp"
#include "platform/smi_source.hpp"
#include "platform/thread_affinity.hpp"

namespace bmcquiet {

std::string_view to_string(GapCause cause) {
  switch (cause) {
    case GapCause::smi:
      return "smi";
    case GapCause::preempt:
      return "preempt";
    case GapCause::irq:
      return "irq";
    case GapCause::unknown:
      break;
  }
  return "unknown";
}

std::vector<GapCause> attribute_gaps(std::span<const TscGap> gaps, const WindowEvents& events) {
  std::vector<std::size_t> order(gaps.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Stable: equal gaps keep time order, so the result never depends on the sort.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return gaps[a].ticks > gaps[b].ticks; });
  std::vector<GapCause> causes(gaps.size(), GapCause::unknown);
  std::size_t next = 0;
  auto assign = [&](const std::optional<std::uint64_t>& count, GapCause cause) {
    for (std::uint64_t i = 0; count && i < *count && next < order.size(); ++i)
      causes[order[next++]] = cause;
  };
  assign(events.smi, GapCause::smi);
  assign(events.preempt, GapCause::preempt);
  assign(events.irq, GapCause::irq);
  return causes;
}

std::uint64_t next_window_slot(std::int64_t origin_ns, std::int64_t period_ns, std::int64_t late_ns,
                               std::uint64_t next, std::int64_t now_ns) {
  const std::int64_t start = origin_ns + std::int64_t(next) * period_ns;
  if (now_ns <= start + late_ns || period_ns <= 0) return next;
  // First k with origin + k * period + late >= now.
  const std::int64_t behind = now_ns - late_ns - origin_ns;
  return std::max(next, std::uint64_t((behind + period_ns - 1) / period_ns));
}

std::optional<std::uint64_t> cpu_interrupt_count(const std::string& procfs, int cpu) {
  auto text = read_small_file(procfs + "/interrupts");
  if (!text) return std::nullopt;
  auto table = parse_proc_interrupts(*text, nullptr);
  if (!table) return std::nullopt;
  auto column = std::find(table->cpus.begin(), table->cpus.end(), cpu);
  if (column == table->cpus.end()) return std::nullopt;
  const auto index = std::size_t(column - table->cpus.begin());
  std::uint64_t total = 0;
  for (const auto& row : table->rows)
    if (row.counts.size() == table->cpus.size()) total += row.counts[index];
  return total;
}

std::size_t gap_bucket(double seconds) {
  return std::size_t(
      std::lower_bound(kGapBucketsSeconds.begin(), kGapBucketsSeconds.end(), seconds) -
      kGapBucketsSeconds.begin());
}

DetectorConfigProblem validate_detector_config(const TscDetectorConfig& c) {
  using namespace std::chrono_literals;
  if (c.width < 1ms || c.width > 1s)
    return {"width",
            fmt::format("window width {} us is outside 1 ms..1 s", c.width.count() / 1000)};
  if (c.period < 2 * c.width)
    return {"period",
            fmt::format("window period {} us is less than twice the width {} us: the duty cycle "
                        "must stay at or below 50 %",
                        c.period.count() / 1000, c.width.count() / 1000)};
  if (c.threshold < 1us || c.threshold >= c.width)
    return {"threshold",
            fmt::format("threshold {} ns is outside 1 us..width", c.threshold.count())};
  if (c.sched_fifo && (c.rt_priority < 1 || c.rt_priority > 98))
    return {"priority", fmt::format("SCHED_FIFO priority {} is outside 1..98", c.rt_priority)};
  if (c.cpu < 0 || c.cpu >= CPU_SETSIZE)
    return {"cpu", fmt::format("CPU {} is outside 0..{}", c.cpu, CPU_SETSIZE - 1)};
  return {};
}

namespace {

std::optional<std::uint64_t> involuntary_switches() {
  rusage usage{};
  if (::getrusage(RUSAGE_THREAD, &usage) != 0) return std::nullopt;
  return std::uint64_t(usage.ru_nivcsw);
}

std::optional<std::uint64_t> delta(std::optional<std::uint64_t> before,
                                   std::optional<std::uint64_t> after) {
  if (!before || !after || *after < *before) return std::nullopt;
  return *after - *before;
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct LocalSmiCounter::State {
  Paths paths;
  int cpu = 0;
  mutable std::mutex mutex;  // guards error; everything else is the detector thread's
  std::string error;
  bool opened = false;
  std::unique_ptr<SmiSource> source;
  std::optional<std::uint64_t> last_raw;
  std::uint64_t total = 0;
};

LocalSmiCounter::LocalSmiCounter(Paths paths, int cpu) : state_(std::make_unique<State>()) {
  state_->paths = std::move(paths);
  state_->cpu = cpu;
}

LocalSmiCounter::~LocalSmiCounter() = default;

std::optional<std::uint64_t> LocalSmiCounter::read() {
  auto& s = *state_;
  std::string problem;
  if (!s.opened) {
    s.opened = true;
    SmiSourceOptions options;
    options.probe_cpu = s.cpu;
    s.source = open_smi_source(s.paths, options, &problem);
  }
  if (s.source) {
    int here = -1;
    auto r = read_smi_on_this_cpu(*s.source, &here);
    if (r.ok && here == s.cpu) {
      if (s.last_raw) s.total += counter_delta(*s.last_raw, r.count, s.source->counter_bits());
      s.last_raw = r.count;
      return s.total;
    }
    problem = r.ok ? fmt::format("SMI count read on CPU {}, not the detector's CPU {}", here, s.cpu)
                   : r.error;
    s.last_raw.reset();
  }
  std::lock_guard lock(s.mutex);
  if (!problem.empty()) s.error = std::move(problem);
  return std::nullopt;
}

std::string LocalSmiCounter::error() const {
  std::lock_guard lock(state_->mutex);
  return state_->error;
}

CounterReader LocalSmiCounter::reader(std::shared_ptr<LocalSmiCounter> counter) {
  return [counter = std::move(counter)] { return counter->read(); };
}

TscDetector::TscDetector(TscDetectorConfig config, CounterReader smi, Sink sink)
    : config_(std::move(config)), smi_(std::move(smi)), sink_(std::move(sink)) {}

TscDetector::~TscDetector() { stop(); }

void TscDetector::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void TscDetector::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TscDetector::wait() {
  if (thread_.joinable()) thread_.join();
}

std::optional<std::string> TscDetector::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

std::optional<TscDetectorInfo> TscDetector::info() const {
  std::lock_guard lock(mutex_);
  return info_;
}

void TscDetector::run() {
  // Registered before it pins itself: the daemon's confinement leaves it be.
  PlacedThread placed;
  ::pthread_setname_np(::pthread_self(), "bmcquiet-tsc");
  auto problem = setup();
  if (!problem.empty()) {
    std::lock_guard lock(mutex_);
    error_ = std::move(problem);
    return;
  }
  run_windows();
}

std::string TscDetector::setup() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(config_.cpu, &set);
  if (int rc = ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set); rc != 0)
    return fmt::format(
        "cannot pin the TSC detector to CPU {}: {}; is the CPU online and in the "
        "service's CPUAffinity=?",
        config_.cpu, std::strerror(rc));
  if (auto problem = validate_detector_config(config_); !problem.key.empty())
    return problem.message;
  if (config_.sched_fifo) {
    if (auto throttle = read_rt_throttle(config_.procfs)) {
      auto problem = check_rt_budget(*throttle, config_.width, config_.period - config_.width);
      if (!problem.empty()) return "TSC detector windows as SCHED_FIFO: " + problem;
    }
    sched_param param{};
    param.sched_priority = config_.rt_priority;
    if (int rc = ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &param); rc != 0)
      return fmt::format(
          "cannot run the TSC detector as SCHED_FIFO priority {} on CPU {}: {}; grant "
          "CAP_SYS_NICE (or LimitRTPRIO=) or set sched_fifo: false",
          config_.rt_priority, config_.cpu, std::strerror(rc));
  }
  auto tsc = check_invariant_tsc(config_.procfs);
  if (!tsc.ok) return tsc.error;
  TscDetectorInfo info;
  info.hypervisor = tsc.hypervisor;
  info.hypervisor_vendor = hypervisor_vendor(tsc.hypervisor);
  info.frequency = tsc_frequency();
  if (info.frequency.hz < 1e6)
    return fmt::format("could not determine the TSC frequency on CPU {} ({} Hz from {})",
                       config_.cpu, info.frequency.hz, info.frequency.source);
  ticks_per_ns_ = info.frequency.hz / 1e9;
  std::lock_guard lock(mutex_);
  info_ = std::move(info);
  return {};
}

bool TscDetector::sleep_until(std::chrono::steady_clock::time_point when) {
  std::unique_lock lock(mutex_);
  wake_.wait_until(lock, when, [&] { return stopping_; });
  return !stopping_;
}

void TscDetector::run_windows() {
  const std::int64_t period = config_.period.count();
  const std::int64_t width = config_.width.count();
  const std::int64_t origin = steady_ns();
  const std::int64_t end = config_.duration.count() > 0 ? origin + config_.duration.count() : 0;
  // Gaps exceed the threshold, so a window holds at most width/threshold of them.
  const auto capacity = std::size_t(std::min<std::int64_t>(
      width / std::max<std::int64_t>(config_.threshold.count(), 1) + 2, std::int64_t{1} << 16));
  std::vector<TscGap> buffer(capacity);
  std::uint64_t slot = 0;
  for (;;) {
    slot = next_window_slot(origin, period, width / 10, slot, steady_ns());
    const std::int64_t start = origin + std::int64_t(slot) * period;
    if (end != 0 && start + width > end) return;
    if (!sleep_until(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(start))))
      return;
    sink_(run_window(buffer));
    ++slot;
  }
}

WindowReport TscDetector::run_window(std::span<TscGap> buffer) {
  const auto smi_before = smi_ ? smi_() : std::nullopt;
  const auto irq_before = cpu_interrupt_count(config_.procfs, config_.cpu);
  const auto preempt_before = involuntary_switches();
  const auto a = sample_tsc_clock(CLOCK_MONOTONIC);
  const auto width_ticks = std::uint64_t(double(config_.width.count()) * ticks_per_ns_);
  const auto threshold_ticks = std::uint64_t(double(config_.threshold.count()) * ticks_per_ns_);
  const auto scan = scan_window([] { return read_tsc(); }, width_ticks, threshold_ticks, buffer);
  const auto b = sample_tsc_clock(CLOCK_MONOTONIC);
  WindowReport report;
  report.events.preempt = delta(preempt_before, involuntary_switches());
  report.events.irq = delta(irq_before, cpu_interrupt_count(config_.procfs, config_.cpu));
  report.events.smi = delta(smi_before, smi_ ? smi_() : std::nullopt);

  report.cpu = config_.cpu;
  report.start_ns = tsc_to_clock_ns(a, b, scan.first_tsc);
  report.end_ns = tsc_to_clock_ns(a, b, scan.last_tsc);
  report.reads = scan.reads;
  report.sampled_seconds = double(scan.last_tsc - scan.first_tsc) / ticks_per_ns_ / 1e9;
  report.stolen_seconds = double(scan.gap_ticks) / ticks_per_ns_ / 1e9;
  report.gaps_total = scan.gaps;
  report.backwards = scan.backwards;
  const auto stored = buffer.first(std::min<std::size_t>(scan.gaps, buffer.size()));
  const auto causes = attribute_gaps(stored, report.events);
  report.gaps.reserve(stored.size());
  for (std::size_t i = 0; i < stored.size(); ++i) {
    report.gaps.push_back({tsc_to_clock_ns(a, b, stored[i].start_tsc),
                           std::int64_t(double(stored[i].ticks) / ticks_per_ns_), causes[i]});
    ++report.by_cause[std::size_t(causes[i])];
  }
  report.by_cause[std::size_t(GapCause::unknown)] += scan.gaps - stored.size();
  return report;
}

}  // namespace bmcquiet
