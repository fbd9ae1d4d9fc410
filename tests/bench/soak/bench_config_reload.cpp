// bmcquietd's RSS before and after SIGHUP reloads of configs just under the
// 4 MiB limit: one padded with comments (loads), one of ~200k YAML nodes
// under an unknown key (parsed whole, then rejected). Each is reloaded three
// times, then the small config again; the same binary with malloc_trim made
// a no-op runs alongside as the peer. Once, a 10 MB config left RSS at 277 MB.
//
//   build-*/tests/bench/config/bench_config_reload
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/helpers.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kBudget = 4 * 1024 * 1024 - 4096;  // just under the limit

std::string small_config(const TempDir& dir) {
  return fmt::format(
      "paths:\n  procfs: {0}/proc\n  sysfs: {0}/sys\n  state: {0}/state\n"
      "collectors:\n  smi:\n    enabled: false\n  tsc_gap:\n    enabled: false\n",
      dir.path());
}

std::string padded_with_comments(const TempDir& dir) {
  auto text = small_config(dir);
  const std::string line = "# " + std::string(76, 'x') + "\n";
  while (text.size() + line.size() < kBudget) text += line;
  return text;
}

std::string many_nodes(const TempDir& dir) {
  auto text = small_config(dir) + "padding:\n";
  for (int i = 0; text.size() < kBudget - 32; ++i) text += fmt::format("  k{}: [{}, x]\n", i, i);
  return text;
}

// Reloads `text`; false when the daemon did not report back.
bool reload(Process& daemon, NotifySocket& notify, const std::string& path,
            const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
  daemon.signal(SIGHUP);
  if (!notify.wait_for("RELOADING=1", 10s)) return false;
  auto done = notify.wait_for("READY=1", 30s);
  std::this_thread::sleep_for(500ms);  // let the old collectors' timers finish
  return done.has_value();
}

// RSS (MiB) at each step: before, after each big reload, after the small one.
std::vector<std::pair<std::string, double>> run(const std::string& preload) {
  std::vector<std::pair<std::string, double>> rows;
  TempDir dir;
  dir.write("proc/interrupts", fixture("interrupts/baremetal-8cpu-cpu3-offline.txt"));
  dir.write("sys/devices/system/cpu/online", "0-7\n");
  const auto path = dir.write("bmcquiet.yaml", small_config(dir));
  NotifySocket notify(dir.path());
  std::map<std::string, std::string> env{{"NOTIFY_SOCKET", notify.path()}};
  if (!preload.empty()) env["LD_PRELOAD"] = preload;
  Process daemon({built_binary("daemon/bmcquietd"), "--config", path, "--listen", "127.0.0.1:0",
                  "--log-level", "error"},
                 env);
  if (!notify.wait_for("READY=1", 10s)) return rows;
  std::this_thread::sleep_for(1s);
  rows.emplace_back("before (small config)", rss_mib(daemon.pid()));
  const std::pair<const char*, std::string> big[] = {
      {"comments (loads)", padded_with_comments(dir)}, {"200k nodes (rejected)", many_nodes(dir)}};
  for (const auto& [what, text] : big)
    for (int i = 1; i <= 3; ++i) {
      if (!reload(daemon, notify, path, text)) return rows;
      rows.emplace_back(fmt::format("4 MiB of {}, reload {}", what, i), rss_mib(daemon.pid()));
    }
  if (reload(daemon, notify, path, small_config(dir)))
    rows.emplace_back("the small config again", rss_mib(daemon.pid()));
  daemon.signal(SIGTERM);
  daemon.wait(5s);
  return rows;
}

}  // namespace

int main() {
  const auto trimmed = run("");
  const auto untrimmed = run(BMCQUIET_NO_MALLOC_TRIM);
  if (trimmed.size() != 8 || untrimmed.size() != 8) {
    std::fprintf(stderr, "a daemon did not start or reload\n");
    return 1;
  }
  std::printf(
      "bmcquietd RSS in MiB: as built (malloc_trim after each reload) vs the same\n"
      "binary with malloc_trim made a no-op (LD_PRELOAD)\n\n");
  std::printf("%-42s %10s %10s %10s\n", "", "trimmed", "untrimmed", "ratio");
  for (std::size_t i = 0; i < trimmed.size(); ++i)
    std::printf("%-42s %10.2f %10.2f %10.2f\n", trimmed[i].first.c_str(), trimmed[i].second,
                untrimmed[i].second, trimmed[i].second / untrimmed[i].second);
  std::printf("\nafter/before: trimmed %.2f, untrimmed %.2f\n",
              trimmed.back().second / trimmed.front().second,
              untrimmed.back().second / untrimmed.front().second);
  return 0;
}
