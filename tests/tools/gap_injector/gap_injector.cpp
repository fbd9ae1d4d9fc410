// gap_injector: a SCHED_FIFO process pinned to one CPU that steals known
// durations at random moments and logs each burst's CLOCK_MONOTONIC start and
// end, one JSON object per line: {"start_ns":S,"end_ns":E,"requested_ns":R}.
//
// Random spacing matters: a periodic injector phase-locks with a periodic
// detector and the comparison then says nothing. The injector refuses a burst
// pattern that RT throttling would cut (that would add gaps nobody asked for).
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "platform/rt_throttle.hpp"

namespace {

constexpr const char* kUsage =
    "usage: gap_injector --cpu N --duration SECONDS [--bursts-us 20,50,100,1000]\n"
    "         [--idle-ms MIN,MAX] [--priority P] [--seed S] [--path.procfs DIR]\n"
    "Spins as SCHED_FIFO priority P (default 50) on CPU N for a burst length drawn from\n"
    "--bursts-us, then sleeps a uniform random MIN..MAX ms (default 3,12), until the\n"
    "duration is over. Prints one JSON object per burst on stdout at the end.\n";

struct Options {
  int cpu = -1;
  double duration_s = 0;
  std::vector<long> bursts_us = {20, 50, 100, 1000};
  long idle_min_ms = 3, idle_max_ms = 12;
  int priority = 50;
  unsigned long seed = 0;
  std::string procfs = "/proc";
};

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::vector<long> parse_list(const std::string& text) {
  std::vector<long> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    out.push_back(std::stol(item));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

bool parse(int argc, char** argv, Options& o) {
  try {
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string flag = argv[i], value = argv[i + 1];
      if (flag == "--cpu")
        o.cpu = std::stoi(value);
      else if (flag == "--duration")
        o.duration_s = std::stod(value);
      else if (flag == "--bursts-us")
        o.bursts_us = parse_list(value);
      else if (flag == "--priority")
        o.priority = std::stoi(value);
      else if (flag == "--seed")
        o.seed = std::stoul(value);
      else if (flag == "--path.procfs")
        o.procfs = value;
      else if (flag == "--idle-ms") {
        auto v = parse_list(value);
        if (v.size() != 2) return false;
        o.idle_min_ms = v[0];
        o.idle_max_ms = v[1];
      } else {
        return false;
      }
    }
  } catch (const std::exception&) {
    return false;
  }
  if (argc % 2 == 0 || o.cpu < 0 || o.duration_s <= 0 || o.bursts_us.empty()) return false;
  for (long b : o.bursts_us)
    if (b <= 0) return false;
  return o.idle_min_ms > 0 && o.idle_max_ms >= o.idle_min_ms && o.priority >= 1 && o.priority <= 98;
}

// Refuses, with the reason on stderr, bursts that RT throttling would cut.
bool within_rt_budget(const Options& o) {
  auto throttle = bmcquiet::read_rt_throttle(o.procfs);
  if (!throttle) {
    std::fprintf(stderr, "gap_injector: cannot read %s/sys/kernel/sched_rt_{runtime,period}_us\n",
                 o.procfs.c_str());
    return false;
  }
  long longest = 0;
  for (long b : o.bursts_us) longest = std::max(longest, b);
  auto problem = bmcquiet::check_rt_budget(*throttle, std::chrono::microseconds(longest),
                                           std::chrono::milliseconds(o.idle_min_ms));
  if (!problem.empty()) std::fprintf(stderr, "gap_injector: refused: %s\n", problem.c_str());
  return problem.empty();
}

bool become_realtime(const Options& o) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(o.cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) {
    std::fprintf(stderr, "gap_injector: cannot pin to CPU %d: %s\n", o.cpu, std::strerror(errno));
    return false;
  }
  sched_param param{};
  param.sched_priority = o.priority;
  if (::sched_setscheduler(0, SCHED_FIFO, &param) != 0) {
    std::fprintf(stderr,
                 "gap_injector: SCHED_FIFO not permitted (%s): run as root or with CAP_SYS_NICE\n",
                 std::strerror(errno));
    return false;
  }
  // Page faults inside a burst would lengthen it behind our back.
  ::mlockall(MCL_CURRENT | MCL_FUTURE);
  return true;
}

struct Burst {
  std::int64_t start_ns, end_ns, requested_ns;
};

std::vector<Burst> inject(const Options& o) {
  std::mt19937_64 rng(o.seed ? o.seed : std::random_device{}());
  std::uniform_int_distribution<std::int64_t> idle(o.idle_min_ms * 1'000'000,
                                                   o.idle_max_ms * 1'000'000);
  std::uniform_int_distribution<std::size_t> pick(0, o.bursts_us.size() - 1);
  std::vector<Burst> log;
  log.reserve(std::size_t(o.duration_s * 1000 / double(o.idle_min_ms)) + 16);
  const std::int64_t end = now_ns() + std::int64_t(o.duration_s * 1e9);
  std::int64_t wake = now_ns() + idle(rng);
  while (wake < end) {
    const std::int64_t want = o.bursts_us[pick(rng)] * 1000;
    timespec ts{time_t(wake / 1'000'000'000), long(wake % 1'000'000'000)};
    ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    const std::int64_t start = now_ns();
    std::int64_t t = start;
    while (t - start < want) t = now_ns();
    log.push_back({start, t, want});
    // Idle is measured from the burst's end so the RT budget check holds.
    wake = t + idle(rng);
  }
  return log;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (!within_rt_budget(o)) return 3;
  if (!become_realtime(o)) return 4;
  for (const auto& b : inject(o))
    std::printf("{\"start_ns\":%lld,\"end_ns\":%lld,\"requested_ns\":%lld}\n",
                (long long)b.start_ns, (long long)b.end_ns, (long long)b.requested_ns);
  return 0;
}
