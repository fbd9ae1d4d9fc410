// The TSC-gap detector (hwlat-style), shared by the tsc_gap collector and
// `bmcquietctl detect`.
//
// A thread pinned to one housekeeping CPU reads the TSC in a tight loop during
// sampling windows (width every period) and records every gap between two
// consecutive reads above a threshold: time the CPU spent elsewhere (an SMI, an
// interrupt, another task, the hypervisor). Nothing inside a window makes a
// syscall or allocates. Around each window it reads the CPU's own SMI count
// (through a seam, locally: no IPI), its interrupt count and the thread's
// involuntary context switches, and attributes the window's gaps to causes.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/paths.hpp"
#include "platform/tsc.hpp"

namespace bmcquiet {

struct TscGap {
  std::uint64_t start_tsc = 0;  // the read before the gap
  std::uint64_t ticks = 0;      // up to the read after it
};

struct WindowScan {
  std::uint64_t first_tsc = 0;
  std::uint64_t last_tsc = 0;
  std::uint64_t reads = 0;
  std::uint64_t gaps = 0;  // above threshold, including any the buffer had no room for
  std::uint64_t gap_ticks = 0;
  std::uint64_t backwards = 0;  // reads lower than the previous one (never on an invariant TSC)
};

// The window's hot loop: reads until width_ticks after the first read. Gaps
// land in `buffer` (preallocated; the count goes on when it is full). `read`
// is read_tsc in production and a synthetic sequence in tests.
template <class ReadTsc>
WindowScan scan_window(ReadTsc&& read, std::uint64_t width_ticks, std::uint64_t threshold_ticks,
                       std::span<TscGap> buffer) {
  WindowScan scan;
  std::uint64_t prev = read();
  const std::uint64_t first = prev;
  const std::uint64_t end = first + width_ticks;
  std::uint64_t reads = 1, gaps = 0, gap_ticks = 0, backwards = 0;
  for (;;) {
    const std::uint64_t now = read();
    ++reads;
    const std::uint64_t delta = now - prev;
    if (delta > threshold_ticks) [[unlikely]] {
      if (std::int64_t(delta) < 0) {
        ++backwards;
      } else {
        if (gaps < buffer.size()) buffer[gaps] = {prev, delta};
        ++gaps;
        gap_ticks += delta;
      }
    }
    prev = now;
    if (now >= end) break;
  }
  scan.first_tsc = first;
  scan.last_tsc = prev;
  scan.reads = reads;
  scan.gaps = gaps;
  scan.gap_ticks = gap_ticks;
  scan.backwards = backwards;
  return scan;
}

// smi: the local SMI count moved; preempt: the detector thread was switched
// out involuntarily (another task ran); irq: the CPU's interrupt count moved;
// unknown: nothing the OS can see happened (hypervisor, or an SMI on a machine
// whose SMI count is unreadable).
enum class GapCause { smi, preempt, irq, unknown };
inline constexpr std::array<GapCause, 4> kGapCauses = {GapCause::smi, GapCause::preempt,
                                                       GapCause::irq, GapCause::unknown};
std::string_view to_string(GapCause cause);

// Event count deltas over one window; nullopt when a source is unreadable.
struct WindowEvents {
  std::optional<std::uint64_t> smi;
  std::optional<std::uint64_t> preempt;
  std::optional<std::uint64_t> irq;
};

// One cause per gap (same order). Each counted event explains at most one gap,
// the longest ones first and in the order smi, preempt, irq: an SMI is the
// longest thing that can happen to a CPU, a preemption includes the interrupt
// that caused it, and interrupts include ticks too short to make a gap.
std::vector<GapCause> attribute_gaps(std::span<const TscGap> gaps, const WindowEvents& events);

// Index of the window slot to run next: `next` unless the clock is already
// more than `late_ns` past its start (a stalled thread, a suspended machine),
// then the first slot still in time. Slots start at origin + k * period.
std::uint64_t next_window_slot(std::int64_t origin_ns, std::int64_t period_ns, std::int64_t late_ns,
                               std::uint64_t next, std::int64_t now_ns);

// The total of <procfs>/interrupts' column for `cpu` (every row that has one).
std::optional<std::uint64_t> cpu_interrupt_count(const std::string& procfs, int cpu);

struct TscDetectorConfig {
  int cpu = 0;
  std::chrono::nanoseconds width = std::chrono::milliseconds(100);
  std::chrono::nanoseconds period = std::chrono::seconds(1);
  std::chrono::nanoseconds threshold = std::chrono::microseconds(10);
  bool sched_fifo = false;
  int rt_priority = 10;
  std::string procfs = "/proc";
  std::chrono::nanoseconds duration{0};  // 0: until stop()
};

// Empty when the settings are safe to run; otherwise what is wrong and the
// allowed range. Duty cycle at most 50 % (a daemon default is far lower), FIFO
// priority 1-98 (99 belongs to the kernel's own watchdogs and migration).
struct DetectorConfigProblem {
  std::string key;  // width, period, threshold, priority or cpu; empty when fine
  std::string message;
};
DetectorConfigProblem validate_detector_config(const TscDetectorConfig& config);

// Upper bounds of bmcquiet_tsc_gap_seconds (and of bmcquietctl detect's histogram).
inline const std::vector<double> kGapBucketsSeconds = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4,
                                                       2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2};
// Index into those bounds (le semantics); kGapBucketsSeconds.size() is +Inf.
std::size_t gap_bucket(double seconds);

struct GapRecord {
  std::int64_t start_ns = 0;  // CLOCK_MONOTONIC
  std::int64_t duration_ns = 0;
  GapCause cause = GapCause::unknown;
};

struct WindowReport {
  int cpu = 0;
  std::int64_t start_ns = 0;  // CLOCK_MONOTONIC of the first and last read
  std::int64_t end_ns = 0;
  std::uint64_t reads = 0;
  double sampled_seconds = 0;
  double stolen_seconds = 0;  // sum of all gaps above threshold
  std::uint64_t gaps_total = 0;
  std::uint64_t backwards = 0;
  std::vector<GapRecord> gaps;  // all of them unless the buffer overflowed
  std::array<std::uint64_t, kGapCauses.size()> by_cause{};  // overflowed gaps count as unknown
  WindowEvents events;
};

struct TscDetectorInfo {
  bool hypervisor = false;
  std::string hypervisor_vendor = "none";
  TscFrequency frequency;
};

// Reads a monotonically increasing event count on the calling CPU.
using CounterReader = std::function<std::optional<std::uint64_t>()>;

// The SMI count of the CPU the detector thread is pinned to, as a
// CounterReader: the source is opened on first use, from the detector thread,
// so its probe and every read are local (no IPI); raw wraps are accumulated.
class LocalSmiCounter {
 public:
  LocalSmiCounter(Paths paths, int cpu);
  ~LocalSmiCounter();
  std::optional<std::uint64_t> read();
  // Why SMI attribution is off ("" while it works or was not tried yet).
  std::string error() const;
  static CounterReader reader(std::shared_ptr<LocalSmiCounter> counter);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

class TscDetector {
 public:
  using Sink = std::function<void(WindowReport)>;
  // smi may be empty (no SMI source): then no gap is ever labelled smi. The
  // sink runs on the detector thread between windows; keep it short.
  TscDetector(TscDetectorConfig config, CounterReader smi, Sink sink);
  ~TscDetector();
  TscDetector(const TscDetector&) = delete;
  TscDetector& operator=(const TscDetector&) = delete;

  void start();
  // Wakes a sleeping thread at once; a window in progress finishes first.
  void stop();
  // Joins after `duration` (one-shot use).
  void wait();

  // Set once the thread has failed or finished setting up.
  std::optional<std::string> error() const;
  std::optional<TscDetectorInfo> info() const;

 private:
  void run();
  std::string setup();
  void run_windows();
  WindowReport run_window(std::span<TscGap> buffer);
  bool sleep_until(std::chrono::steady_clock::time_point when);

  TscDetectorConfig config_;
  CounterReader smi_;
  Sink sink_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<std::string> error_;
  std::optional<TscDetectorInfo> info_;
  double ticks_per_ns_ = 0;
};

}  // namespace bmcquiet
