// `bmcquietctl detect --cpu N --duration SECONDS [--threshold-us T] [--json]`:
// runs the daemon's TSC-gap detector once in the foreground (like hwlatdetect
// or oslat) and prints a summary, or one JSON object per line.
#include "ctl/detect.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "collectors/tsc_detector.hpp"

namespace bmcquiet::ctl {
namespace {

using namespace std::chrono_literals;

constexpr const char* kUsage =
    "usage: bmcquietctl detect --cpu N --duration SECONDS [--threshold-us T] [--json]\n"
    "         [--width-ms W] [--period-ms P] [--fifo PRIORITY] [--path.procfs DIR]\n"
    "Reads the TSC in a tight loop on CPU N for W ms of every P ms (default 500 of 1000)\n"
    "and reports every gap above T us (default 10) with its cause (smi, preempt, irq,\n"
    "unknown). --json prints one object per line: {\"type\":\"window\",...} per window and\n"
    "{\"type\":\"gap\",...} per gap, times in CLOCK_MONOTONIC nanoseconds.\n";

struct Options {
  TscDetectorConfig detector;
  bool json = false;
  bool cpu_given = false;
};

std::optional<double> to_number(const std::string& text) {
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    // The bound keeps every conversion to int and to nanoseconds in range.
    if (used != text.size() || !(v >= 0) || v > 1e6) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::chrono::nanoseconds scaled(double value, double ns_per_unit) {
  return std::chrono::nanoseconds(std::int64_t(value * ns_per_unit));
}

// Returns an error message, or empty when options were filled in.
std::string parse(std::span<const std::string> args, Options& o) {
  o.detector.width = 500ms;
  o.detector.period = 1s;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& flag = args[i];
    if (flag == "--json") {
      o.json = true;
      continue;
    }
    if (i + 1 >= args.size()) return fmt::format("{} needs a value (or is unknown)", flag);
    const auto& text = args[++i];
    if (flag == "--path.procfs") {
      o.detector.procfs = text;
      continue;
    }
    auto value = to_number(text);
    if (!value) return fmt::format("{} {}: not a number in 0..1000000", flag, text);
    if (flag == "--cpu") {
      o.detector.cpu = int(*value);
      o.cpu_given = true;
    } else if (flag == "--duration") {
      o.detector.duration = scaled(*value, 1e9);
    } else if (flag == "--threshold-us") {
      o.detector.threshold = scaled(*value, 1e3);
    } else if (flag == "--width-ms") {
      o.detector.width = scaled(*value, 1e6);
    } else if (flag == "--period-ms") {
      o.detector.period = scaled(*value, 1e6);
    } else if (flag == "--fifo") {
      o.detector.sched_fifo = true;
      o.detector.rt_priority = int(*value);
    } else {
      return fmt::format("unknown option {}", flag);
    }
  }
  if (!o.cpu_given) return "--cpu is required";
  if (o.detector.duration < o.detector.width)
    return "--duration must be at least one window (--width-ms)";
  return validate_detector_config(o.detector).message;
}

struct Summary {
  std::uint64_t windows = 0, reads = 0, gaps = 0;
  double sampled = 0, stolen = 0;
  std::int64_t max_ns = 0;
  std::vector<std::uint64_t> buckets = std::vector<std::uint64_t>(kGapBucketsSeconds.size() + 1);
  std::array<std::uint64_t, kGapCauses.size()> by_cause{};

  void add(const WindowReport& w) {
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

int run_detect(std::span<const std::string> args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  Options o;
  if (auto problem = parse(args, o); !problem.empty()) {
    std::fprintf(stderr, "bmcquietctl detect: %s\n%s", problem.c_str(), kUsage);
    return 2;
  }
  Summary summary;
  Paths paths;
  paths.procfs = o.detector.procfs;
  auto smi = std::make_shared<LocalSmiCounter>(paths, o.detector.cpu);
  TscDetector detector(o.detector, LocalSmiCounter::reader(smi), [&](WindowReport w) {
    if (o.json) print_json(w);
    summary.add(w);
  });
  detector.start();
  detector.wait();
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
    print_summary(summary, o.detector, info);
  }
  return 0;
}

}  // namespace bmcquiet::ctl
