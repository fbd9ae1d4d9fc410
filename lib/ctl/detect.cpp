// `bmcquietctl detect`: runs the daemon's TSC-gap detector once in the foreground (like hwlatdetect
// or oslat) and prints a summary, or one JSON object per line.
#include "ctl/command.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "measure/tsc_detector.hpp"

namespace bmcquiet::ctl {
namespace {

using namespace std::chrono_literals;

std::chrono::nanoseconds scaled(double value, double ns_per_unit) {
  return std::chrono::nanoseconds(std::int64_t(value * ns_per_unit));
}

// The command line bounds every number (0 to 1e6), which keeps every
// conversion to nanoseconds in range; the detector judges the rest.
std::string to_config(const DetectOptions& o, TscDetectorConfig& c) {
  c.cpu = o.cpu;
  c.duration = scaled(o.duration_seconds, 1e9);
  c.threshold = scaled(o.threshold_us, 1e3);
  c.width = scaled(o.width_ms, 1e6);
  c.period = scaled(o.period_ms, 1e6);
  c.procfs = o.procfs;
  if (o.fifo_priority) {
    c.sched_fifo = true;
    c.rt_priority = *o.fifo_priority;
  }
  if (c.duration < c.width) return "--duration must be at least one window (--width-ms)";
  return validate_detector_config(c).message;
}

struct Summary {
  std::uint64_t windows = 0, reads = 0, gaps = 0;
  double sampled = 0, stolen = 0;
  std::int64_t max_ns = 0;
  std::vector<std::uint64_t> buckets = std::vector<std::uint64_t>(kGapBucketsSeconds.size() + 1);
  std::array<std::uint64_t, kGapCauses.size()> by_cause{};

  std::int64_t first_start_ns = 0;

  void add(const WindowReport& w) {
    if (windows == 0) first_start_ns = w.start_ns;
    ++windows;
    reads += w.reads;
    gaps += w.gaps_total;
    sampled += w.sampled_seconds;
    stolen += w.stolen_seconds;
    for (std::size_t i = 0; i < by_cause.size(); ++i) by_cause[i] += w.by_cause[i];
    for (const auto& g : w.gaps) {
      max_ns = std::max(max_ns, g.duration_ns);
      ++buckets[gap_bucket(double(g.duration_ns) / 1e9)];
    }
  }
};

std::string optional_json(const std::optional<std::uint64_t>& v) {
  return v ? std::to_string(*v) : "null";
}

void print_json(const WindowReport& w) {
  std::string out = fmt::format(
      "{{\"type\":\"window\",\"cpu\":{},\"start_ns\":{},\"end_ns\":{},\"reads\":{},\"gaps\":{},"
      "\"smi\":{},\"preempt\":{},\"irq\":{}}}\n",
      w.cpu, w.start_ns, w.end_ns, w.reads, w.gaps_total, optional_json(w.events.smi),
      optional_json(w.events.preempt), optional_json(w.events.irq));
  for (const auto& g : w.gaps)
    out += fmt::format(
        "{{\"type\":\"gap\",\"cpu\":{},\"start_ns\":{},\"duration_ns\":{},\"cause\":\"{}\"}}\n",
        w.cpu, g.start_ns, g.duration_ns, to_string(g.cause));
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

void print_summary(const Summary& s, const TscDetectorConfig& c, const TscDetectorInfo& info) {
  std::printf(
      "CPU %d: %llu windows, %.3f s sampled, %llu TSC reads (%.1f ns per read outside gaps)\n",
      c.cpu, (unsigned long long)s.windows, s.sampled, (unsigned long long)s.reads,
      s.reads ? (s.sampled - s.stolen) * 1e9 / double(s.reads) : 0.0);
  std::printf("TSC %.3f MHz (%s)%s\n", info.frequency.hz / 1e6, info.frequency.source.c_str(),
              info.hypervisor ? fmt::format(", under a hypervisor ({}): its work shows as gaps",
                                            info.hypervisor_vendor)
                                    .c_str()
                              : "");
  std::printf("gaps above %.1f us: %llu, stolen %.6f s (%.4f %% of sampled), max %.1f us\n",
              double(c.threshold.count()) / 1e3, (unsigned long long)s.gaps, s.stolen,
              s.sampled > 0 ? 100 * s.stolen / s.sampled : 0.0, double(s.max_ns) / 1e3);
  std::printf("by cause:");
  for (auto cause : kGapCauses)
    std::printf(" %s=%llu", std::string(to_string(cause)).c_str(),
                (unsigned long long)s.by_cause[std::size_t(cause)]);
  std::printf("\nhistogram (us, upper bound: count):\n");
  for (std::size_t i = 0; i < s.buckets.size(); ++i) {
    if (s.buckets[i] == 0) continue;
    if (i == kGapBucketsSeconds.size())
      std::printf("  >10000: %llu\n", (unsigned long long)s.buckets[i]);
    else
      std::printf("  %6.0f: %llu\n", kGapBucketsSeconds[i] * 1e6, (unsigned long long)s.buckets[i]);
  }
}

}  // namespace

int run_detect(const DetectOptions& o) {
  TscDetectorConfig config;
  if (auto problem = to_config(o, config); !problem.empty()) {
    std::fprintf(stderr, "bmcquietctl detect: %s\n", problem.c_str());
    return 2;
  }
  Summary summary;
  Paths paths;
  paths.procfs = config.procfs;
  auto smi = std::make_shared<LocalSmiCounter>(paths, config.cpu);
  Progress progress("detect");
  progress.show(fmt::format("CPU {}: 0 of {:g} s", config.cpu, o.duration_seconds));
  TscDetector detector(config, LocalSmiCounter::reader(smi), [&](WindowReport w) {
    if (o.json) print_json(w);
    summary.add(w);
    progress.show(fmt::format("CPU {}: {:.0f} of {:g} s, {} gap(s) so far", config.cpu,
                              double(w.end_ns - summary.first_start_ns) / 1e9, o.duration_seconds,
                              summary.gaps));
  });
  detector.start();
  detector.wait();
  progress.show("");
  if (auto error = detector.error()) {
    std::fprintf(stderr, "bmcquietctl detect: %s\n", error->c_str());
    return 1;
  }
  auto info = detector.info().value_or(TscDetectorInfo{});
  if (auto why = smi->error(); !why.empty())
    std::fprintf(stderr, "bmcquietctl detect: no gap is labelled smi: %s\n", why.c_str());
  if (o.json) {
    if (info.hypervisor)
      std::fprintf(stderr, "bmcquietctl detect: under a hypervisor (%s): its work shows as gaps\n",
                   info.hypervisor_vendor.c_str());
  } else {
    print_summary(summary, config, info);
  }
  return 0;
}

}  // namespace bmcquiet::ctl
