// bench_metrics [ROUNDS]: a collector's typical update pattern — look a series
// up by name and labels, set it — for 256 per-CPU series per round, through
// the root Metrics (nothing recorded) and through an owned view (each series
// recorded for drop-on-disable). Prints ns per update and the view/root ratio,
// then the cost of dropping the owner's series once.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "metrics/metrics.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kSeries = 256;

std::vector<bmcquiet::Labels> per_cpu_labels() {
  std::vector<bmcquiet::Labels> labels;
  for (int cpu = 0; cpu < kSeries; ++cpu) labels.push_back({{"cpu", std::to_string(cpu)}});
  return labels;
}

double ns_per_update(bmcquiet::Metrics& m, const char* name, int rounds) {
  const auto labels = per_cpu_labels();
  const auto start = Clock::now();
  for (int r = 0; r < rounds; ++r)
    for (const auto& l : labels) m.gauge(name, "bench", l).Set(r);
  const auto ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  return ns / (double(rounds) * kSeries);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 1000;
  if (rounds <= 0) {
    std::fprintf(stderr, "usage: bench_metrics [ROUNDS > 0]\n");
    return 2;
  }
  bmcquiet::Metrics root;
  auto& view = root.owned_by("bench");
  ns_per_update(root, "bench_warmup", 10);  // first-touch allocations out of the way
  const double via_root = ns_per_update(root, "bench_root", rounds);
  const double via_view = ns_per_update(view, "bench_view", rounds);
  const auto start = Clock::now();
  root.drop_owners_except({});
  const auto drop_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  std::printf("%d rounds x %d series\n", rounds, kSeries);
  std::printf("update via root:  %8.1f ns\n", via_root);
  std::printf("update via view:  %8.1f ns  (%.2fx the root)\n", via_view, via_view / via_root);
  std::printf("drop %d series:   %8.1f us\n", kSeries, drop_us);
  return 0;
}
