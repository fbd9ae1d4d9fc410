// The SMI collector's engine, without threads or timers: one call = one
// sampling round at a given time, so tests can drive simulated time.
//
// How a round reads: the housekeeping CPUs, each from the calling thread
// pinned onto that CPU (a local RDMSR / perf read, no IPI) where the pinner
// allows; isolated CPUs are read remotely — one IPI each — only every
// isolated_interval (0 = never). SMIs are broadcast, so the first housekeeping
// CPU read (the reference) carries the node's count.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/collector.hpp"
#include "platform/cpu_throttle.hpp"
#include "platform/cpuid.hpp"
#include "platform/smi_source.hpp"
#include "platform/thread_affinity.hpp"

namespace bmcquiet {

class Metrics;

enum class CpuClass { housekeeping, isolated };
const char* to_string(CpuClass c);

struct SmiSettings {
  SmiSourceKind source = SmiSourceKind::automatic;
  std::chrono::nanoseconds isolated_interval = std::chrono::seconds(60);  // 0 = never
  bool pin = true;              // read housekeeping CPUs from a thread on that CPU
  bool per_cpu = false;         // bmcquiet_smi_cpu_total{cpu}
  bool throttle = true;         // APERF/MPERF and Intel thermal status
  std::uint64_t tolerance = 2;  // SMIs two CPUs may differ by within one round
};

// What the machine is; each null/unset member means "ask the real one".
struct SmiHardware {
  std::optional<CpuidInfo> cpuid;
  std::shared_ptr<PerfBackend> perf;
  std::shared_ptr<CpuPinner> pinner;
};

struct SmiRoundStats {
  std::uint64_t reads[2] = {};   // by CpuClass: register reads issued
  std::uint64_t remote[2] = {};  // of which from another CPU (= IPIs)
  bool isolated_read = false;    // the slow isolated pass ran this round
};

class SmiSampler {
 public:
  SmiSampler(Metrics& metrics, Paths paths, CpuSelection cpus, SmiSettings settings,
             SmiHardware hardware = {});
  ~SmiSampler();
  SmiSampler(const SmiSampler&) = delete;
  SmiSampler& operator=(const SmiSampler&) = delete;

  // One round; may pin the calling thread while it runs.
  CollectOutcome sample(std::chrono::steady_clock::time_point now);
  const SmiRoundStats& last_round() const { return stats_; }
  // Syscalls issued so far by counter reads and pinning.
  std::uint64_t syscalls() const;

 private:
  struct Reading;
  struct CpuState;
  bool ensure_open(int probe_cpu, std::string* error);
  Reading read_cpu(int cpu, CpuClass cls, bool pin, std::map<int, bool>& packages_seen);
  void account(std::vector<Reading>& readings);
  void account_throttle(const Reading& r, CpuState& state);
  int package_of(int cpu);
  void publish_info(int reference_cpu);

  Metrics& metrics_;
  Paths paths_;
  CpuSelection cpus_;
  SmiSettings settings_;
  SmiHardware hw_;
  CpuidInfo cpuid_;
  std::unique_ptr<SmiSource> source_;
  std::unique_ptr<ThrottleCounters> throttle_;
  std::string throttle_missing_;
  std::map<int, CpuState> state_;
  std::map<int, std::uint64_t> package_therm_;  // last package status per package
  std::map<int, int> package_;                  // cpu → physical package id
  std::optional<std::chrono::steady_clock::time_point> last_isolated_;
  std::uint64_t reference_total_ = 0;
  int reference_cpu_ = -1;
  SmiRoundStats stats_;
};

}  // namespace bmcquiet
