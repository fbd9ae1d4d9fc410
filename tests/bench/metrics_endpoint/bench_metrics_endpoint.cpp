// Holds 500 idle and 100 slowloris connections (a header byte every 2 s)
// against a running bmcquietd on loopback, then times normal scrapes; does the
// same against prometheus-cpp's civetweb Exposer with 2 worker threads (what
// bmcquietd served /metrics with before), in the same run. Bounded: 20 + 5
// scrapes with a 2 s timeout each, well under 60 s in all.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include "support/helpers.hpp"
#include "support/hostile_clients.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

constexpr int kIdle = 500;
constexpr int kSlowloris = 100;
constexpr auto kTimeout = 2000ms;

struct Figures {
  double p50 = -1, max = -1;
  int failed = 0, count = 0;
};

Figures measure(int port, int scrapes) {
  HostileClients hostile(port, kIdle, kSlowloris, 2s);
  std::printf("  %d hostile connections held\n", hostile.connected());
  std::this_thread::sleep_for(500ms);
  auto ms =
      timed_scrapes("http://127.0.0.1:" + std::to_string(port) + "/metrics", scrapes, kTimeout);
  Figures f;
  f.count = scrapes;
  std::vector<double> ok;
  for (double v : ms) (v < 0 ? f.failed++ : (ok.push_back(v), 0));
  // A failed scrape counts as the timeout: that is what the scraper waited.
  for (int i = 0; i < f.failed; ++i) ok.push_back(double(kTimeout.count()));
  std::sort(ok.begin(), ok.end());
  f.p50 = ok[ok.size() / 2];
  f.max = ok.back();
  return f;
}

void print(const char* what, const Figures& f) {
  std::printf("%-34s p50 %8.1f ms  max %8.1f ms  failed %d/%d\n", what, f.p50, f.max, f.failed,
              f.count);
}

void raise_fd_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  raise_fd_limit();  // 600 client sockets, plus civetweb's server side in this process
  TempDir dir;
  dir.write("proc/interrupts", fixture("interrupts/baremetal-8cpu-cpu3-offline.txt"));
  dir.write("sys/devices/system/cpu/online", "0-7\n");
  const auto& r = dir.path();
  auto config =
      dir.write("bmcquiet.yaml", "paths: {procfs: " + r + "/proc, sysfs: " + r +
                                     "/sys, devfs: " + r + "/dev, state: " + r + "/state}\n");
  NotifySocket notify(dir.path());
  Process daemon({built_binary("daemon/bmcquietd"), "--config", config, "--listen", "127.0.0.1:0"},
                 {{"NOTIFY_SOCKET", notify.path()}});
  auto ready = notify.wait_for("READY=1", 10s);
  if (!ready) {
    std::fprintf(stderr, "bmcquietd did not become ready\n");
    return 1;
  }
  auto from = ready->find("127.0.0.1:") + 10;
  const int port = std::stoi(ready->substr(from));

  std::printf("%d idle + %d slowloris connections, scrape timeout %lld ms\n", kIdle, kSlowloris,
              static_cast<long long>(kTimeout.count()));
  std::printf("bmcquietd (Beast, one loop, header deadline, connection cap):\n");
  auto ours = measure(port, 20);

  auto registry = std::make_shared<prometheus::Registry>();
  auto& family =
      prometheus::BuildCounter().Name("bench_series_total").Help("h").Register(*registry);
  for (int i = 0; i < 200; ++i) family.Add({{"i", std::to_string(i)}}).Increment(i);
  prometheus::Exposer civetweb("127.0.0.1:0", 2);
  civetweb.RegisterCollectable(registry);
  std::printf("civetweb Exposer, 2 threads (the old server):\n");
  auto old = measure(civetweb.GetListeningPorts().front(), 5);

  print("bmcquietd:", ours);
  print("civetweb (2 threads):", old);
  std::printf("p50 ratio civetweb/bmcquietd: %.0fx; scrapes failed: %d vs %d\n",
              old.p50 / std::max(ours.p50, 0.01), old.failed, ours.failed);
  return ours.failed == 0 ? 0 : 1;
}
