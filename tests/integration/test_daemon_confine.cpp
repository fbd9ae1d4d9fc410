// bmcquietd keeps its own threads off the isolated CPUs: the real daemon on
// this machine's CPUs 0 and 1, with the CPU roles from a fake sysfs and the
// config's cpus: section, read back from /proc/<pid>/task/*/status.
#include <sched.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <thread>

#include "platform/thread_affinity.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

// The threads that place themselves (registered with PlacedThread).
bool places_itself(const ThreadPlacement& t) {
  return t.name == "bmcquiet-tsc" || t.name == "bmcquiet-smi";
}

struct Layout {
  std::string unplaced_off;  // "" when every unplaced thread is allowed exactly `expected`
  std::optional<CpuSet> detector;
  int threads = 0;
};

Layout layout_of(pid_t pid, const CpuSet& expected) {
  Layout layout;
  for (const auto& t : list_thread_placement(std::to_string(pid))) {
    ++layout.threads;
    if (t.name == "bmcquiet-tsc") layout.detector = t.allowed;
    if (!places_itself(t) && t.allowed != expected)
      layout.unplaced_off +=
          t.name + " (" + std::to_string(t.tid) + ") allowed " + format_cpu_list(t.allowed) + "; ";
  }
  return layout;
}

// Collectors restart on reload (a new detector thread), so poll.
Layout wait_for_layout(pid_t pid, const CpuSet& expected, const CpuSet& detector) {
  Layout layout;
  for (int i = 0; i < 100; ++i) {
    layout = layout_of(pid, expected);
    if (layout.unplaced_off.empty() && layout.detector == detector) break;
    std::this_thread::sleep_for(50ms);
  }
  return layout;
}

std::string config(const TempDir& dir, const std::string& cpus, const std::string& tsc_cpu) {
  return dir.write("bmcquiet.yaml", "paths:\n  procfs: " + dir.path() + "/proc\n  sysfs: " +
                                        dir.path() + "/sys\n  devfs: " + dir.path() +
                                        "/dev\n  state: " + dir.path() + "/state\ncpus: " + cpus +
                                        "\ncollectors:\n  tsc_gap: {cpu: " + tsc_cpu + "}\n");
}

std::string metrics_url(const std::string& ready) {
  auto start = ready.find("http://");
  auto end = ready.find("/metrics", start);
  REQUIRE(start != std::string::npos);
  return ready.substr(start, end + 8 - start);
}

bool runs_on_cpus_0_and_1() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  return ::sched_getaffinity(0, sizeof mask, &mask) == 0 && CPU_ISSET(0, &mask) &&
         CPU_ISSET(1, &mask);
}

}  // namespace

TEST_CASE("bmcquietd confines every thread without a placement to the housekeeping CPUs") {
  if (!runs_on_cpus_0_and_1()) {
    WARN("this test needs CPUs 0 and 1 in its affinity mask: skipped");
    return;
  }
  TempDir dir;
  // The TSC detector checks for an invariant TSC in cpuinfo; the CPUs are real.
  dir.write("proc/cpuinfo", read_file("/proc/cpuinfo"));
  dir.write("proc/interrupts", read_file("/proc/interrupts"));
  dir.write("sys/devices/system/cpu/online", "0-1\n");
  auto path = config(dir, R"({isolated: "1", housekeeping: "0"})", "auto");
  NotifySocket notify(dir.path());
  const auto log = dir.path() + "/daemon.log";
  Process daemon({"/bin/sh", "-c",
                  "exec " + built_binary("daemon/bmcquietd") + " --config " + path +
                      " --listen 127.0.0.1:0 2>" + log},
                 {{"NOTIFY_SOCKET", notify.path()}});
  auto ready = notify.wait_for("READY=1", 10s);
  REQUIRE(ready);
  const auto url = metrics_url(*ready);

  // The exporter's and the collectors' threads were created after the loop
  // thread was confined; the detector is on the first housekeeping CPU.
  auto layout = wait_for_layout(daemon.pid(), {0}, {0});
  INFO(read_file(log));
  CHECK(layout.threads >= 4);  // loop, exporter, SMI sampler, detector at least
  CHECK(layout.unplaced_off == "");
  REQUIRE(layout.detector == CpuSet{0});
  auto scrape = http_get(url);
  CHECK(sample_value(scrape.body, R"(bmcquiet_daemon_cpu_allowed{cpu="0"})") == 1.0);
  CHECK_FALSE(sample_value(scrape.body, R"(bmcquiet_daemon_cpu_allowed{cpu="1"})"));
  CHECK(sample_value(scrape.body, "bmcquiet_daemon_threads_on_isolated_cpus") == 0.0);

  // Housekeeping moves to CPU 1; the detector is told to stay on CPU 0 (not
  // isolated now), a placement of its own the confinement must keep.
  config(dir, R"({housekeeping: "1"})", "0");
  daemon.signal(SIGHUP);
  REQUIRE(notify.wait_for("RELOADING=1", 5s));
  REQUIRE(notify.wait_for("READY=1", 5s));
  layout = wait_for_layout(daemon.pid(), {1}, {0});
  CHECK(layout.unplaced_off == "");
  CHECK(layout.detector == CpuSet{0});
  scrape = http_get(url);
  CHECK(sample_value(scrape.body, R"(bmcquiet_daemon_cpu_allowed{cpu="1"})") == 1.0);
  CHECK_FALSE(sample_value(scrape.body, R"(bmcquiet_daemon_cpu_allowed{cpu="0"})"));

  // A housekeeping set outside the service's CPUs: said once, the inherited
  // mask (both CPUs) comes back, and the gauge shows threads on isolated CPU 1.
  for (int reload = 0; reload < 2; ++reload) {
    config(dir, R"({isolated: "1", housekeeping: "0,7"})", "0");
    daemon.signal(SIGHUP);
    REQUIRE(notify.wait_for("READY=1", 5s));
  }
  layout = wait_for_layout(daemon.pid(), {0, 1}, {0});
  CHECK(layout.unplaced_off == "");
  scrape = http_get(url);
  CHECK(sample_value(scrape.body, R"(bmcquiet_daemon_cpu_allowed{cpu="1"})") == 1.0);
  CHECK(sample_value(scrape.body, "bmcquiet_daemon_threads_on_isolated_cpus") >= 3.0);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(3s) == 0);
  const auto text = read_file(log);
  const std::string warning =
      "the housekeeping CPUs 0,7 are not all among the CPUs this service may use";
  auto first = text.find(warning);
  CHECK(first != std::string::npos);
  CHECK(text.find(warning, first + 1) == std::string::npos);
}
