// Soak: bmcquietd polling a bmcsim (HTTPS, the 45-chassis HGX tree) that
// cycles through every fault it can inject, one phase after the other; the
// daemon's RSS, open fds and /metrics latency are sampled all along. Prints
// the first minute against the last minute (mean, max and their ratio):
// a leak shows as a ratio above 1 that grows with --minutes.
//
//   build-*/tests/bench/soak/bench_soak [--minutes 10] [--phase-seconds 10]
//                                       [--sample-seconds 5] [--quiet]
//
// Exits 1 when the daemon died or a scrape went unanswered (2 s).
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/bmcsim.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  double minutes = 10;
  int phase_seconds = 10;
  int sample_seconds = 5;
  bool quiet = false;
};

struct Sample {
  double at_s, rss_mib, fds, scrape_ms;
  bool answered;
};

struct Phase {
  const char* name;
  std::function<void(const BmcSim&)> start;
};

// Every fault kind bmcsim has, and its BMC-wide misbehaviours.
std::vector<Phase> phases() {
  return {
      {"healthy", [](const BmcSim&) {}},
      {"latency 400ms", [](const BmcSim& s) { s.latency(400); }},
      {"5xx", [](const BmcSim& s) { s.fault("status", -1, "", 503); }},
      {"401", [](const BmcSim& s) { s.fault("status", -1, "Chassis", 401); }},
      {"timeout", [](const BmcSim& s) { s.fault("timeout"); }},
      {"reset", [](const BmcSim& s) { s.fault("reset"); }},
      {"malformed", [](const BmcSim& s) { s.fault("malformed"); }},
      {"slow body", [](const BmcSim& s) { s.fault("slow", -1, "Thermal"); }},
      {"huge body", [](const BmcSim& s) { s.fault("huge", -1, "Chassis/"); }},
      {"wrong cert", [](const BmcSim& s) { s.fault("wrong_cert"); }},
      {"redirect",
       [](const BmcSim& s) {
         s.control("POST", "/fault",
                   R"({"kind":"status","status":302,)"
                   R"("location":"http://elsewhere/x"})");
       }},
      {"serialized 200ms", [](const BmcSim& s) { s.serialize(true), s.latency(200); }},
      {"reboot", [](const BmcSim& s) { s.control("POST", "/reboot"); }},
      {"sessions expired", [](const BmcSim& s) { s.control("POST", "/expire_sessions"); }},
      {"paged collections",
       [](const BmcSim& s) { s.control("POST", "/page_size", R"({"members":2})"); }},
      {"no ETag header",
       [](const BmcSim& s) { s.control("POST", "/etag_header", R"({"on":false})"); }},
  };
}

void reset(const BmcSim& s) {
  s.clear_fault();
  s.latency(0);
  s.serialize(false);
  s.control("POST", "/page_size", R"({"members":0})");
  s.control("POST", "/etag_header", R"({"on":true})");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool more = i + 1 < argc;
    if (a == "--minutes" && more)
      o.minutes = std::atof(argv[++i]);
    else if (a == "--phase-seconds" && more)
      o.phase_seconds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--sample-seconds" && more)
      o.sample_seconds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--quiet")
      o.quiet = true;
    else {
      std::fprintf(stderr,
                   "usage: bench_soak [--minutes 10] [--phase-seconds 10] [--sample-seconds 5] "
                   "[--quiet]\n");
      std::exit(2);
    }
  }
  return o;
}

struct Window {
  double rss_mean = 0, rss_max = 0, fds_max = 0, scrape_p50 = 0, scrape_max = 0;
};

Window summarise(const std::vector<Sample>& all, double from_s, double to_s) {
  std::vector<double> rss, fds, ms;
  for (const auto& s : all)
    if (s.at_s >= from_s && s.at_s <= to_s && s.answered)
      rss.push_back(s.rss_mib), fds.push_back(s.fds), ms.push_back(s.scrape_ms);
  Window w;
  if (rss.empty()) return w;
  w.rss_mean = std::accumulate(rss.begin(), rss.end(), 0.0) / double(rss.size());
  w.rss_max = *std::max_element(rss.begin(), rss.end());
  w.fds_max = *std::max_element(fds.begin(), fds.end());
  std::sort(ms.begin(), ms.end());
  w.scrape_p50 = ms[ms.size() / 2];
  w.scrape_max = ms.back();
  return w;
}

void print_row(const char* what, double first, double last) {
  std::printf("%-22s %10.2f %10.2f %10.2f\n", what, first, last, first > 0 ? last / first : 0.0);
}

std::string daemon_config(const TempDir& dir, const BmcSim& sim, const TestPki& pki) {
  dir.write("proc/interrupts", fixture("interrupts/baremetal-8cpu-cpu3-offline.txt"));
  dir.write("sys/devices/system/cpu/online", "0-7\n");
  auto password = dir.write("password", "secret");
  ::chmod(password.c_str(), 0600);
  return dir.write(
      "bmcquiet.yaml",
      fmt::format("paths:\n  procfs: {0}/proc\n  sysfs: {0}/sys\n  devfs: {0}/dev\n"
                  "  state: {0}/state\n"
                  "bmc:\n  redfish:\n    url: {1}\n    ca_file: {2}\n    username: admin\n"
                  "    password_file: {3}\n    request_timeout: 1500ms\n    poll_deadline: 2s\n"
                  "    backoff_max: 10s\n    log_interval: 20s\n    slow_interval: 30s\n"
                  "collectors:\n  redfish:\n    interval: 2s\n  policy:\n    interval: 5s\n"
                  "  smi:\n    enabled: false\n  tsc_gap:\n    enabled: false\n",
                  dir.path(), sim.url(), pki.ca, password));
}

}  // namespace

int main(int argc, char** argv) {
  const auto o = parse(argc, argv);
  TempDir dir;
  auto pki = make_test_pki(dir.path());
  if (!pki) {
    std::fprintf(stderr, "skipped: openssl is not installed (scripts/setup)\n");
    return 0;
  }
  BmcSim sim({fixture_dir("redfish/hgx"), &*pki});
  NotifySocket notify(dir.path());
  Process daemon({built_binary("daemon/bmcquietd"), "--config", daemon_config(dir, sim, *pki),
                  "--listen", "127.0.0.1:0", "--log-level", "error"},
                 {{"NOTIFY_SOCKET", notify.path()}});
  auto ready = notify.wait_for("READY=1", 10s);
  if (!ready) {
    std::fprintf(stderr, "bmcquietd did not start\n");
    return 1;
  }
  const auto at = ready->find("http://");
  const auto url = ready->substr(at, ready->find("/metrics", at) + 8 - at);

  const auto all_phases = phases();
  const auto total = std::chrono::duration<double>(o.minutes * 60);
  const auto t0 = Clock::now();
  std::vector<Sample> samples;
  std::size_t phase = 0, unanswered = 0;
  auto next_phase = t0, next_sample = t0 + std::chrono::seconds(o.sample_seconds);
  std::printf("soak: %.1f min, %zu phases of %d s, a sample every %d s, against %s\n", o.minutes,
              all_phases.size(), o.phase_seconds, o.sample_seconds, url.c_str());
  while (Clock::now() - t0 < total && daemon.running()) {
    const auto now = Clock::now();
    if (now >= next_phase) {
      reset(sim);
      all_phases[phase % all_phases.size()].start(sim);
      next_phase += std::chrono::seconds(o.phase_seconds);
      ++phase;
    }
    if (now >= next_sample) {
      const auto start = Clock::now();
      const auto scrape = http_get(url, 2s);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      const double t = std::chrono::duration<double>(start - t0).count();
      const bool answered = scrape.status == 200;
      unanswered += !answered;
      samples.push_back({t, rss_mib(daemon.pid()), double(open_fds(daemon.pid())), ms, answered});
      if (!o.quiet)
        std::printf("t=%6.0fs  %-18s rss=%6.2f MiB fds=%3.0f scrape=%7.2f ms%s\n", t,
                    all_phases[(phase - 1) % all_phases.size()].name, samples.back().rss_mib,
                    samples.back().fds, ms, answered ? "" : "  UNANSWERED");
      next_sample += std::chrono::seconds(o.sample_seconds);
    }
    std::this_thread::sleep_for(50ms);
  }
  reset(sim);
  const bool alive = daemon.running();
  const double end_s = std::chrono::duration<double>(Clock::now() - t0).count();
  // A minute each; shorter runs compare their first and last thirds.
  const double window = std::min(60.0, end_s / 3);
  const auto first = summarise(samples, 0, window);
  const auto last = summarise(samples, end_s - window, end_s);
  std::printf("\n== first %.0f s vs last %.0f s (%zu samples, %zu fault phases) ==\n", window,
              window, samples.size(), phase);
  std::printf("%-22s %10s %10s %10s\n", "", "first", "last", "last/first");
  print_row("RSS MiB (mean)", first.rss_mean, last.rss_mean);
  print_row("RSS MiB (max)", first.rss_max, last.rss_max);
  print_row("open fds (max)", first.fds_max, last.fds_max);
  print_row("scrape ms (median)", first.scrape_p50, last.scrape_p50);
  print_row("scrape ms (max)", first.scrape_max, last.scrape_max);
  std::printf("daemon alive at the end: %s; scrapes unanswered: %zu\n", alive ? "yes" : "NO",
              unanswered);
  if (alive) {
    daemon.signal(SIGTERM);
    daemon.wait(5s);
  }
  return alive && unanswered == 0 ? 0 : 1;
}
