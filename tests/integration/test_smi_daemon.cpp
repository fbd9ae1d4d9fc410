// bmcquietd end to end with a fake devfs tree: the e2e dashboard/alert setup.
// --path.devfs points at a tree whose cpu/N/msr files are read with pread at
// 0x34 like the msr driver's, and collectors.smi.source forces intel_msr so
// the host's CPUID vendor does not matter.
#include <catch2/catch.hpp>
#include <thread>

#include "platform/msr.hpp"
#include "support/fake_smi.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

std::optional<double> wait_for_value(const std::string& url, const std::string& series,
                                     double at_least) {
  for (int i = 0; i < 100; ++i) {
    auto scrape = http_get(url);
    auto v = sample_value(scrape.body, series);
    if (v && *v >= at_least) return v;
    std::this_thread::sleep_for(50ms);
  }
  return sample_value(http_get(url).body, series);
}

}  // namespace

TEST_CASE("bmcquietd counts SMIs from a fake devfs tree with a forced intel_msr source",
          "[smi][integration]") {
  TempDir dir;
  FakeCpuTree tree(dir.path());
  tree.cpus("0-1");
  for (int cpu = 0; cpu < 2; ++cpu) tree.msr(cpu, msr::kSmiCount, 1000);
  dir.write("proc/interrupts", "           CPU0       CPU1\n");
  const auto config =
      dir.write("bmcquiet.yaml",
                "paths:\n  procfs: " + dir.path() + "/proc\n  sysfs: " + dir.path() +
                    "/sys\n  state: " + dir.path() +
                    "/state\ncollectors:\n  smi:\n    interval: 100ms\n    source: intel_msr\n"
                    "    per_cpu: true\n");
  NotifySocket notify(dir.path());
  Process daemon({built_binary("daemon/bmcquietd"), "--config", config, "--listen", "127.0.0.1:0",
                  "--path.devfs", tree.paths().devfs},
                 {{"NOTIFY_SOCKET", notify.path()}});
  auto ready = notify.wait_for("READY=1", 10s);
  REQUIRE(ready);
  const auto start = ready->find("http://");
  REQUIRE(start != std::string::npos);
  const auto url = ready->substr(start, ready->find("/metrics", start) + 8 - start);

  REQUIRE(wait_for_value(url, R"(bmcquiet_collector_up{collector="smi"})", 1) == 1.0);
  for (int cpu = 0; cpu < 2; ++cpu) tree.msr(cpu, msr::kSmiCount, 1025);
  CHECK(wait_for_value(url, "bmcquiet_smi_total", 25) == 25.0);
  const auto body = http_get(url).body;
  CHECK(sample_value(body, R"(bmcquiet_smi_cpu_total{cpu="1"})") == 25.0);
  CHECK(body.find(R"(bmcquiet_smi_source_info{reference_cpu="0",source="intel_msr")") !=
        std::string::npos);
  CHECK(sample_value(body, R"(bmcquiet_smi_sample_reads_total{cpu_class="isolated"})") == 0.0);
  if (have_command("promtool")) {
    auto check = run_command("promtool check metrics", body);
    INFO(check.output);
    CHECK(check.exit_code == 0);
  }
}
