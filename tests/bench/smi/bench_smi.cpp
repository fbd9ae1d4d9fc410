// bench_smi [ROUNDS]: what one SMI sampling round costs on a 256-CPU node
// (8 housekeeping, 248 isolated), over a fake devfs tree whose msr files are
// read with pread exactly like the driver's. Prints, per plan, counter-read
// syscalls and microseconds per round, and the reads of isolated CPUs: on
// real hardware each one is an IPI into a workload core. Plans:
//   default        housekeeping every round; isolated every 60 rounds (60 s)
//   every-CPU      all 256 CPUs every round (the article's approach)
// Both read from one thread (pin: false) so the figures compare file reads
// alone; on real hardware pinning turns housekeeping reads local (no IPI).
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "collectors/smi_sampler.hpp"
#include "metrics/metrics.hpp"
#include "platform/msr.hpp"
#include "support/fake_smi.hpp"

using namespace bmcquiet;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kCpus = 256;
constexpr int kHousekeeping = 8;

struct Figures {
  double syscalls = 0, micros = 0, remote = 0;
};

class NoPinner final : public CpuPinner {
 public:
  bool pin(int) override { return false; }
  void unpin(const std::vector<int>&) override {}
  std::uint64_t syscalls() const override { return 0; }
};

// Median over `rounds` of rounds taken at time offsets from `when(i)`.
template <typename When>
Figures measure(const test::FakeCpuTree& tree, std::chrono::nanoseconds isolated_interval,
                int rounds, When when) {
  Metrics metrics;
  SmiSettings settings;
  settings.pin = false;
  settings.isolated_interval = isolated_interval;
  CpuidInfo intel;
  intel.vendor = CpuVendor::intel;
  SmiSampler sampler(metrics, tree.paths(), {}, settings,
                     SmiHardware{intel, nullptr, std::make_shared<NoPinner>()});
  const auto t0 = Clock::now();
  if (!sampler.sample(t0).ok) {  // opens every fd: not part of a steady-state round
    std::fprintf(stderr, "bench_smi: first round failed\n");
    std::exit(1);
  }
  std::vector<double> micros, syscalls, remote;
  for (int i = 1; i <= rounds; ++i) {
    const auto before = sampler.syscalls();
    const auto start = Clock::now();
    if (!sampler.sample(t0 + when(i)).ok) std::exit(1);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    syscalls.push_back(double(sampler.syscalls() - before));
    const auto& st = sampler.last_round();
    remote.push_back(double(st.remote[static_cast<int>(CpuClass::isolated)]));
  }
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  return {median(syscalls), median(micros), median(remote)};
}

void print(const char* plan, const Figures& f) {
  std::printf("%-40s %10.0f %12.1f %18.0f\n", plan, f.syscalls, f.micros, f.remote);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(5, std::atoi(argv[1])) : 500;
  char dir_template[] = "/tmp/bench_smi.XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (!dir) return 1;
  test::FakeCpuTree tree(dir);
  tree.cpus("0-" + std::to_string(kCpus - 1),
            std::to_string(kHousekeeping) + "-" + std::to_string(kCpus - 1));
  for (int cpu = 0; cpu < kCpus; ++cpu) {
    tree.package(cpu, cpu < kCpus / 2 ? 0 : 1);
    for (auto reg :
         {msr::kSmiCount, msr::kAperf, msr::kMperf, msr::kThermStatus, msr::kPackageThermStatus})
      tree.msr(cpu, reg, 1);
  }
  using std::chrono::seconds;
  // Seconds 1..59 of each minute: the plan's ordinary round.
  const auto plain = measure(tree, seconds(60), rounds, [](int i) { return seconds(i % 59 + 1); });
  const auto slow = measure(tree, seconds(60), rounds, [](int i) { return seconds(60 * i); });
  const auto every =
      measure(tree, std::chrono::nanoseconds(1), rounds, [](int i) { return seconds(i); });
  Figures amortized{(59 * plain.syscalls + slow.syscalls) / 60,
                    (59 * plain.micros + slow.micros) / 60, (59 * plain.remote + slow.remote) / 60};

  std::printf("SMI sampling round, %d CPUs (%d housekeeping), throttle on, median of %d rounds\n",
              kCpus, kHousekeeping, rounds);
  std::printf("%-40s %10s %12s %18s\n", "plan", "syscalls", "us/round", "isolated IPIs/round");
  print("default: ordinary round", plain);
  print("default: round with the 60 s isolated pass", slow);
  print("default: amortized over 60 rounds", amortized);
  print("every-CPU: every round", every);
  std::printf(
      "every-CPU / default (amortized): %.1fx syscalls, %.1fx time, %.1fx IPIs into isolated "
      "CPUs\n",
      every.syscalls / amortized.syscalls, every.micros / amortized.micros,
      every.remote / std::max(amortized.remote, 1e-9));
  std::filesystem::remove_all(dir);
  return 0;
}
