// Who pets the watchdogs, found by the real /proc scan: real child processes
// hold a file standing in for the device under a fake devfs root (a watchdog
// node cannot exist here, and opening a real one would start its timer),
// pinned with sched_setaffinity and scheduled with sched_setscheduler. The
// BMC's watchdog comes from OpenIPMI's ipmi_sim, cross-checked with ipmitool.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "bmc/bmc.hpp"
#include "collectors/watchdog.hpp"
#include "metrics/metrics.hpp"
#include "platform/proc_scan.hpp"
#include "platform/watchdog_petters.hpp"
#include "support/collect_now.hpp"
#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

struct ChildSpec {
  std::string name;  // comm
  std::string hold;  // file to keep open ("" for none)
  int cpu = 0;       // where its main thread may run
  int policy = SCHED_OTHER;
  int priority = 0;
  int thread_cpu = -1;  // >= 0: a second thread pinned there
};

void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) ::_exit(3);
}

// A real process, placed and scheduled as asked; it reports ready on a pipe
// and lives until the parent closes the other one (or kills it).
class Child {
 public:
  explicit Child(const ChildSpec& s) {
    int ready[2], hold[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(hold) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) run(s, ready[1], hold[0]);
    ::close(ready[1]);
    ::close(hold[0]);
    hold_ = hold[1];
    char status = 0;
    REQUIRE(::read(ready[0], &status, 1) == 1);
    ::close(ready[0]);
    ok_ = status == 'y';
  }
  ~Child() {
    ::close(hold_);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  int pid() const { return pid_; }
  bool ok() const { return ok_; }  // false: the kernel refused the policy

 private:
  struct ThreadArg {
    int cpu, fd;
  };
  static void* park(void* p) {
    auto* a = static_cast<ThreadArg*>(p);
    pin(a->cpu);
    char c;
    (void)::read(a->fd, &c, 1);
    return nullptr;
  }
  [[noreturn]] static void run(const ChildSpec& s, int ready, int hold) {
    ::prctl(PR_SET_NAME, s.name.c_str());
    if (!s.hold.empty() && ::open(s.hold.c_str(), O_RDONLY) < 0) ::_exit(2);
    pin(s.cpu);
    sched_param param{};
    param.sched_priority = s.priority;
    const bool set = ::sched_setscheduler(0, s.policy, &param) == 0;
    static ThreadArg arg;
    arg = {s.thread_cpu, hold};
    pthread_t thread;
    if (s.thread_cpu >= 0) ::pthread_create(&thread, nullptr, park, &arg);
    // The thread must have placed itself before the parent looks.
    for (int i = 0; s.thread_cpu >= 0 && i < 200; ++i) ::usleep(1000);
    const char status = set ? 'y' : 'n';
    (void)::write(ready, &status, 1);
    char c;
    (void)::read(hold, &c, 1);
    ::_exit(0);
  }

  pid_t pid_ = -1;
  int hold_ = -1;
  bool ok_ = false;
};

// CPU 1 isolated, CPU 0 housekeeping; watchdog0 is the IPMI driver's and runs,
// watchdog1 (iTCO) is idle.
struct Host {
  TempDir root;
  boost::asio::io_context io;
  Metrics metrics;

  Host() {
    root.write("sys/devices/system/cpu/online", "0-1\n");
    root.write("sys/devices/system/cpu/isolated", "1\n");
    root.write("sys/class/watchdog/watchdog0/identity", "IPMI\n");
    root.write("sys/class/watchdog/watchdog0/state", "active\n");
    root.write("sys/class/watchdog/watchdog0/timeout", "60\n");
    root.write("sys/class/watchdog/watchdog1/identity", "iTCO_wdt\n");
    root.write("sys/class/watchdog/watchdog1/state", "inactive\n");
    root.write("dev/watchdog0", "");
    root.write("dev/ipmi0", "");
    root.write("dev/ipmi/0", "");
  }
  // The real /proc, the fake device and sysfs trees.
  Paths paths() const { return {"/proc", root.path() + "/sys", root.path() + "/dev", "/tmp"}; }
  std::string dev(const std::string& name) const { return root.path() + "/dev/" + name; }
  WatchdogHostView scan() const { return scan_watchdog_host(paths(), {{1}, ::getpid(), {}}); }
  std::unique_ptr<Collector> collector(std::shared_ptr<bmc::Bmc> bmc = nullptr) {
    CollectorEnv env{io, metrics, paths(), {}, std::move(bmc)};
    auto diag = std::make_shared<ConfigDiagnostics>("t");
    auto section = ConfigSection::parse("{}", diag);
    return make_watchdog_collector(env, section);
  }
  std::optional<double> value(const std::string& series) {
    return sample_value(metrics.serialize(), series);
  }
};

bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const WatchdogPetter* find(const WatchdogHostView& v, int pid, const std::string& device) {
  for (const auto& p : v.petters)
    if (p.pid == pid && p.device == device) return &p;
  return nullptr;
}

bool realtime_allowed() {
  Child probe({"wd-probe", "", 0, SCHED_FIFO, 1});
  if (!probe.ok())
    WARN("SKIPPED: sched_setscheduler(SCHED_FIFO) refused here (no CAP_SYS_NICE or RT budget)");
  return probe.ok();
}

}  // namespace

TEST_CASE("a watchdog petter pinned to an isolated CPU is found by the real /proc scan",
          "[watchdog]") {
  Host h;
  Child petter({"wd-isolated", h.dev("watchdog0"), 1});
  REQUIRE(petter.ok());
  const auto view = h.scan();
  const auto* p = find(view, petter.pid(), "/dev/watchdog0");
  REQUIRE(p);
  CHECK(p->comm == "wd-isolated");
  CHECK(p->found_by == "fd");
  CHECK(p->allowed == CpuSet{1});
  CHECK(p->policy == SCHED_OTHER);
  CHECK(p->may_run_on_isolated);
  CHECK_FALSE(p->safe());
  REQUIRE(view.devices.size() == 2);
  CHECK(view.devices[0].is_ipmi());
  CHECK(view.devices[0].active == true);
  CHECK(view.devices[0].timeout_seconds == 60);
  // watchdog0 is the IPMI driver's: its petter pets the BMC's watchdog too.
  CHECK(petters_of(view, "bmc").size() == 1);
  CHECK(petters_of(view, "watchdog1").empty());

  auto c = h.collector();
  REQUIRE(collect_now(*c).ok);
  CHECK(
      h.value(
          R"(bmcquiet_watchdog_petter_may_run_on_isolated_cpus{comm="wd-isolated",device="/dev/watchdog0"})") ==
      1);
  CHECK(
      h.value(
          R"(bmcquiet_watchdog_petter_info{comm="wd-isolated",device="/dev/watchdog0",policy="SCHED_OTHER"})") ==
      1);
  CHECK(h.value(R"(bmcquiet_watchdog_at_risk{watchdog="watchdog0"})") == 1);
  CHECK(h.value(R"(bmcquiet_watchdog_at_risk{watchdog="watchdog1"})") == 0);
  CHECK(h.value(R"(bmcquiet_watchdog_device_info{identity="IPMI",watchdog="watchdog0"})") == 1);
  CHECK(h.value("bmcquiet_watchdog_scan_complete") == 1);  // root sees every process
  // No BMC configured: the BMC watchdog's state is unknown, so no verdict.
  CHECK_FALSE(h.value(R"(bmcquiet_watchdog_at_risk{watchdog="bmc"})"));
}

TEST_CASE("a partial process view (ProtectProc=invisible: no PID 1) gives no at-risk verdict",
          "[watchdog]") {
  Host h;
  // What the shipped unit's daemon sees: its own processes only. Here one
  // unsafe petter in a procfs without PID 1.
  h.root.write("proc/4242/comm", "wd-seen\n");
  h.root.write("proc/4242/status", "Name:\twd-seen\nCpus_allowed_list:\t0-1\n");
  std::filesystem::create_directories(h.root.path() + "/proc/4242/fd");
  std::filesystem::create_symlink(h.dev("watchdog0"), h.root.path() + "/proc/4242/fd/3");
  CollectorEnv env{h.io, h.metrics, h.paths(), {}, nullptr};
  env.paths.procfs = h.root.path() + "/proc";
  auto diag = std::make_shared<ConfigDiagnostics>("t");
  auto section = ConfigSection::parse("{}", diag);
  auto c = make_watchdog_collector(env, section);
  REQUIRE(collect_now(*c).ok);
  CHECK(
      h.value(
          R"(bmcquiet_watchdog_petter_may_run_on_isolated_cpus{comm="wd-seen",device="/dev/watchdog0"})") ==
      1);
  CHECK(h.value("bmcquiet_watchdog_scan_complete") == 0);
  CHECK_FALSE(h.value(R"(bmcquiet_watchdog_at_risk{watchdog="watchdog0"})"));
  CHECK(h.value(R"(bmcquiet_watchdog_at_risk{watchdog="watchdog1"})") == 0);  // not running
}

TEST_CASE("a thread of a housekeeping petter left on an isolated CPU counts", "[watchdog]") {
  Host h;
  Child petter({"wd-threads", h.dev("watchdog0"), 0, SCHED_OTHER, 0, 1});
  REQUIRE(petter.ok());
  const auto view = h.scan();  // find() points into it: keep it alive
  const auto* p = find(view, petter.pid(), "/dev/watchdog0");
  REQUIRE(p);
  CHECK(p->allowed == CpuSet{0, 1});
  CHECK(p->may_run_on_isolated);
}

TEST_CASE("a real-time petter on a housekeeping CPU is safe; SCHED_OTHER behind an RT task is not",
          "[watchdog]") {
  if (!realtime_allowed()) return;
  Host h;
  auto c = h.collector();
  {
    // 98: above whatever else this machine may run at once (only 98-99 would beat it).
    Child petter({"wd-fifo", h.dev("watchdog0"), 0, SCHED_FIFO, 98});
    REQUIRE(petter.ok());
    const auto view = h.scan();
    const auto* p = find(view, petter.pid(), "/dev/watchdog0");
    REQUIRE(p);
    CHECK(p->policy == SCHED_FIFO);
    CHECK(p->rt_priority == 98);
    CHECK_FALSE(p->behind_rt);
    CHECK(p->safe());
    REQUIRE(collect_now(*c).ok);
    CHECK(h.value(R"(bmcquiet_watchdog_at_risk{watchdog="watchdog0"})") == 0);
    CHECK(h.value(R"(bmcquiet_watchdog_safe_petters{watchdog="watchdog0"})") == 1);
    CHECK(h.value(R"(bmcquiet_watchdog_petter_priority{comm="wd-fifo",device="/dev/watchdog0"})") ==
          98);
  }
  {
    Child petter({"wd-other", h.dev("watchdog0"), 0});
    Child workload({"wd-rt-workload", "", 0, SCHED_FIFO, 50});
    REQUIRE(workload.ok());
    const auto view = h.scan();  // find() points into it: keep it alive
    const auto* p = find(view, petter.pid(), "/dev/watchdog0");
    REQUIRE(p);
    CHECK_FALSE(p->may_run_on_isolated);
    CHECK(p->behind_rt);
    CHECK_FALSE(p->safe());
    REQUIRE(collect_now(*c).ok);
    CHECK(
        h.value(
            R"(bmcquiet_watchdog_petter_behind_realtime{comm="wd-other",device="/dev/watchdog0"})") ==
        1);
    CHECK(h.value(R"(bmcquiet_watchdog_at_risk{watchdog="watchdog0"})") == 1);
    // A real-time petter below the workload's priority starves all the same.
    Child low({"wd-fifo-low", h.dev("watchdog0"), 0, SCHED_FIFO, 10});
    const auto low_view = h.scan();
    const auto* l = find(low_view, low.pid(), "/dev/watchdog0");
    REQUIRE(l);
    CHECK(l->behind_rt);
    // The FIFO petter is gone: its series with it.
    CHECK_FALSE(
        h.value(R"(bmcquiet_watchdog_petter_priority{comm="wd-fifo",device="/dev/watchdog0"})"));
  }
}

TEST_CASE("systemd's RuntimeWatchdogSec= from system.conf and its drop-ins", "[watchdog]") {
  TempDir etc;
  CHECK(systemd_watchdog_from_files(etc.path()).source.empty());
  etc.write("system.conf", "[Manager]\n#RuntimeWatchdogSec=off\n");
  CHECK(systemd_watchdog_from_files(etc.path()).runtime_seconds == 0.0);
  etc.write("system.conf",
            "[Manager]\nRuntimeWatchdogSec=2min 30s\nWatchdogDevice=/dev/watchdog1\n");
  auto sd = systemd_watchdog_from_files(etc.path());
  CHECK(sd.runtime_seconds == 150.0);
  CHECK(sd.device == "/dev/watchdog1");
  CHECK(sd.source == "system.conf");
  etc.write("system.conf.d/90-off.conf", "[Manager]\nRuntimeWatchdogSec=off\n");
  CHECK(systemd_watchdog_from_files(etc.path()).runtime_seconds == 0.0);
}

TEST_CASE("the BMC watchdog from ipmi_sim: a running reset timer with no safe petter is at risk",
          "[watchdog][ipmi_sim]") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim;
  REQUIRE(sim.start());
  Host h;
  auto owner = bmc::Bmc::create(h.io, nullptr, {.ipmi = sim.client_config()});
  auto c = h.collector(owner);
  c->start();
  auto collect = [&] {
    std::optional<CollectOutcome> out;
    c->collect([&](CollectOutcome o) { out = std::move(o); });
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!out && std::chrono::steady_clock::now() < until) {
      if (h.io.stopped()) h.io.restart();
      h.io.run_one_for(50ms);
    }
    REQUIRE(out);
    INFO(out->error);
    REQUIRE(out->ok);
  };
  auto tool = [&](const std::string& args) {
    auto r = run_command(sim.ipmitool(args));
    INFO(args << ": " << r.output);
    REQUIRE(r.exit_code == 0);
    return r.output;
  };
  // What a host's watchdog service does: SMS/OS use, hard reset, 30 s, started.
  tool("raw 0x06 0x24 0x04 0x01 0x00 0x00 0x2c 0x01");
  tool("mc watchdog reset");
  CHECK(has(tool("mc watchdog get"), "Started/Running"));
  Child isolated({"bmc-watchdog", h.dev("ipmi0"), 1});
  collect();
  CHECK(h.value("bmcquiet_bmc_watchdog_running") == 1);
  CHECK(h.value("bmcquiet_bmc_watchdog_resets_host") == 1);
  CHECK(h.value("bmcquiet_bmc_watchdog_timeout_seconds") == 30);
  CHECK(h.value(R"(bmcquiet_watchdog_petters{watchdog="bmc"})") >= 1);
  CHECK(h.value(R"(bmcquiet_watchdog_at_risk{watchdog="bmc"})") == 1);
  {
    // Where the article wants it: housekeeping CPU (and real-time if allowed).
    const bool rt = realtime_allowed();
    Child safe({"bmc-wd-safe", h.dev("ipmi/0"), 0, rt ? SCHED_FIFO : SCHED_OTHER, rt ? 10 : 0});
    collect();
    if (rt) CHECK(h.value(R"(bmcquiet_watchdog_at_risk{watchdog="bmc"})") == 0);
    CHECK(
        h.value(
            R"(bmcquiet_watchdog_petter_may_run_on_isolated_cpus{comm="bmc-wd-safe",device="/dev/ipmi/0"})") ==
        0);
  }
  tool("mc watchdog off");
  CHECK(has(tool("mc watchdog get"), "Stopped"));
  collect();
  CHECK(h.value("bmcquiet_bmc_watchdog_running") == 0);
  CHECK(h.value(R"(bmcquiet_watchdog_at_risk{watchdog="bmc"})") == 0);
  c->stop();
}
