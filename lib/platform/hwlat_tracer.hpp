// The kernel's hwlat tracer (tracefs) as an alternative TSC-gap backend.
//
// tracefs has one current_tracer for the whole machine. bmcquiet takes it only
// when nobody uses it (current_tracer is nop and tracing is on), remembers
// every setting it changes and restores them on release, and only if the
// tracer is still the one it set.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bmcquiet {

struct HwlatSettings {
  std::string tracefs = "/sys/kernel/tracing";
  int cpu = 0;
  std::chrono::microseconds width{100'000};     // sampling per window
  std::chrono::microseconds window{1'000'000};  // hwlat's window = our period
  std::chrono::microseconds threshold{10};
};

// The longer of inner/outer from one hwlat trace line, in nanoseconds;
// nullopt for any other line.
std::optional<std::int64_t> parse_hwlat_line(std::string_view line);

// "1" → "2", CPU 35 → "8,00000000": the kernel's cpumask format.
std::string format_cpumask(int cpu);

class HwlatTracer {
 public:
  // Checks tracefs and takes the tracer over; nullptr and *error (what, where,
  // what to do) when it cannot or must not.
  static std::unique_ptr<HwlatTracer> acquire(const HwlatSettings& settings, std::string* error);
  ~HwlatTracer();
  HwlatTracer(const HwlatTracer&) = delete;
  HwlatTracer& operator=(const HwlatTracer&) = delete;

  // Consumes what trace_pipe holds (non-blocking): one duration per sample.
  std::vector<std::int64_t> drain(std::string* error);
  // Puts back every setting changed by acquire(); idempotent.
  void release();

 private:
  explicit HwlatTracer(std::string tracefs) : tracefs_(std::move(tracefs)) {}
  struct Saved {
    std::string file;
    std::string value;
  };
  std::string tracefs_;
  std::vector<Saved> saved_;
  bool released_ = false;
};

}  // namespace bmcquiet
