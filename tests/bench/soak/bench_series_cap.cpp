// bmcquietd's RSS against a generated BMC with 15,000 sensors, with the
// default bmc.redfish.max_series (5000) and with the cap raised out of the
// way (1,000,000), next to the same daemon on a small BMC (the Dell-shaped
// fixture): what the cap saves, and what the sensors cost anyway.
//
//   build-*/tests/bench/soak/bench_series_cap [SENSORS] [POLLS]
#include <sys/stat.h>

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "support/bmcsim.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

struct Figures {
  double rss_mib = 0;
  std::size_t series = 0;
};

// RSS after `polls` polls (one a second) and the number of samples served.
Figures measure(const std::string& mockup, const std::string& max_series, int polls) {
  TempDir dir;
  BmcSim sim({mockup});
  auto password = dir.write("password", "secret");
  ::chmod(password.c_str(), 0600);
  auto config = dir.write(
      "bmcquiet.yaml",
      fmt::format("paths:\n  procfs: {0}/proc\n  sysfs: {0}/sys\n  state: {0}/state\n"
                  "bmc:\n  redfish:\n    url: {1}\n    insecure: true\n    username: admin\n"
                  "    password_file: {2}\n    max_series: {3}\n"
                  "collectors:\n  redfish:\n    interval: 1s\n  policy:\n    enabled: false\n"
                  "  smi:\n    enabled: false\n  tsc_gap:\n    enabled: false\n",
                  dir.path(), sim.url(), password, max_series));
  NotifySocket notify(dir.path());
  Process daemon({built_binary("daemon/bmcquietd"), "--config", config, "--listen", "127.0.0.1:0",
                  "--log-level", "error"},
                 {{"NOTIFY_SOCKET", notify.path()}});
  auto ready = notify.wait_for("READY=1", 10s);
  if (!ready) return {};
  const auto at = ready->find("http://");
  const auto url = ready->substr(at, ready->find("/metrics", at) + 8 - at);
  std::this_thread::sleep_for(std::chrono::seconds(polls));
  Figures f;
  const auto body = http_get(url).body;
  for (char c : body) f.series += c == '\n';
  f.rss_mib = rss_mib(daemon.pid());
  daemon.signal(SIGTERM);
  daemon.wait(5s);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const int sensors = argc > 1 ? std::atoi(argv[1]) : 15000;
  const int polls = argc > 2 ? std::atoi(argv[2]) : 10;
  TempDir dir;
  const auto large = dir.path() + "/bmc";
  if (run_command(fmt::format("python3 {} --large {} {}", fixture_dir("redfish/generate.py"), large,
                              sensors))
          .exit_code != 0)
    return std::fprintf(stderr, "generate.py failed\n"), 1;
  const auto small = measure(fixture_dir("redfish/dell"), "5000", polls);
  const auto capped = measure(large, "5000", polls);
  const auto uncapped = measure(large, "1000000", polls);
  std::printf("bmcquietd after %d polls (one a second)\n\n", polls);
  std::printf("%-44s %10s %10s\n", "", "RSS MiB", "lines");
  std::printf("%-44s %10.2f %10zu\n", "small BMC (dell fixture)", small.rss_mib, small.series);
  std::printf("%-44s %10.2f %10zu\n", fmt::format("{} sensors, max_series 5000", sensors).c_str(),
              capped.rss_mib, capped.series);
  std::printf("%-44s %10.2f %10zu\n",
              fmt::format("{} sensors, max_series 1000000", sensors).c_str(), uncapped.rss_mib,
              uncapped.series);
  std::printf("\ncapped/uncapped RSS %.2f, capped/small RSS %.2f\n",
              capped.rss_mib / uncapped.rss_mib, capped.rss_mib / small.rss_mib);
  return 0;
}
