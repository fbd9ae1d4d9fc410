// The in-band IPMI host view over fake procfs/sysfs/devfs trees, through the
// collector (the daemon's code path) and the scan `bmcquietctl check` uses.
#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <filesystem>

#include "collectors/inband_ipmi.hpp"
#include "metrics/metrics.hpp"
#include "platform/inband_ipmi_users.hpp"
#include "support/collect_now.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
namespace fs = std::filesystem;

namespace {

struct Host {
  test::TempDir root;
  boost::asio::io_context io;
  Metrics metrics;
  std::unique_ptr<Collector> collector;

  Host() {
    root.write("sys/devices/system/cpu/online", "0-7\n");
    root.write("sys/devices/system/cpu/isolated", "2-7\n");
    root.write("dev/ipmi0", "");
    CollectorEnv env{io, metrics, paths(), {}};
    auto diag = std::make_shared<ConfigDiagnostics>("t");
    auto section = ConfigSection::parse("{}", diag);
    collector = make_inband_ipmi_collector(env, section);
  }
  Paths paths() const {
    return {root.path() + "/proc", root.path() + "/sys", root.path() + "/dev", "/tmp"};
  }
  // A process with fds at the given targets (absolute, or under devfs when
  // they start with "ipmi").
  void process(int pid, const std::string& comm, const std::string& cpus,
               const std::vector<std::string>& fds) {
    const auto dir = fmt::format("proc/{}", pid);
    root.write(dir + "/comm", comm + "\n");
    root.write(dir + "/status", fmt::format("Name:\t{}\nCpus_allowed:\tff\nCpus_allowed_list:\t{}\n"
                                            "Mems_allowed_list:\t0\n",
                                            comm, cpus));
    fs::create_directories(root.path() + "/" + dir + "/fd");
    for (std::size_t i = 0; i < fds.size(); ++i) {
      const auto target = fds[i].rfind("ipmi", 0) == 0 ? root.path() + "/dev/" + fds[i] : fds[i];
      fs::create_symlink(target, fmt::format("{}/{}/fd/{}", root.path(), dir, i));
    }
  }
  void si(const std::string& dir, std::uint64_t transactions, std::uint64_t hosed) {
    root.write(dir + "/type", "kcs\n");
    root.write(dir + "/complete_transactions", fmt::format("{}\n", transactions));
    root.write(dir + "/short_timeouts", "3\n");
    root.write(dir + "/hosed", fmt::format("{}\n", hosed));
  }
  CollectOutcome run() { return test::collect_now(*collector); }
  std::optional<double> value(const std::string& series) {
    return test::sample_value(metrics.serialize(), series);
  }
};

}  // namespace

TEST_CASE("in-band IPMI users: who holds /dev/ipmi* and whether they may run on isolated CPUs") {
  Host h;
  h.process(812, "ipmievd", "0-1", {"/dev/null", "ipmi0"});
  h.process(4242, "dcgm-exporter", "0-7", {"ipmi0", "ipmi0"});
  h.process(77, "sshd", "0-7", {"/dev/null"});
  h.root.write("proc/self/comm", "not a pid dir\n");
  const auto view = scan_inband_ipmi(h.paths(), {2, 3, 4, 5, 6, 7});
  REQUIRE(view.users.size() == 2);
  CHECK(view.users[0].pid == 812);
  CHECK(view.users[0].comm == "ipmievd");
  CHECK_FALSE(view.users[0].may_run_on_isolated);
  CHECK(view.users[1].comm == "dcgm-exporter");
  CHECK(view.users[1].may_run_on_isolated);
  CHECK(view.users[1].devices == std::vector<std::string>{h.root.path() + "/dev/ipmi0"});

  REQUIRE(h.run().ok);
  CHECK(h.value(R"(bmcquiet_inband_ipmi_users{may_run_on_isolated="true"})") == 1);
  CHECK(h.value(R"(bmcquiet_inband_ipmi_users{may_run_on_isolated="false"})") == 1);
  CHECK(h.value(R"(bmcquiet_inband_ipmi_user_info{comm="ipmievd"})") == 1);
  CHECK(h.value(R"(bmcquiet_ipmi_si_interfaces)") == 0);

  // ipmievd exits: its series goes, not left at a stale 1.
  fs::remove_all(h.root.path() + "/proc/812");
  REQUIRE(h.run().ok);
  CHECK_FALSE(h.value(R"(bmcquiet_inband_ipmi_user_info{comm="ipmievd"})"));
  CHECK(h.value(R"(bmcquiet_inband_ipmi_users{may_run_on_isolated="false"})") == 0);
}

TEST_CASE("in-band IPMI user names are capped so a host cannot grow the series without bound") {
  Host h;
  for (int i = 0; i < 40; ++i) h.process(1000 + i, fmt::format("tool{}", i), "0", {"ipmi0"});
  REQUIRE(h.run().ok);
  const auto scrape = h.metrics.serialize();
  std::size_t series = 0;
  for (auto at = scrape.find("bmcquiet_inband_ipmi_user_info{"); at != std::string::npos;
       at = scrape.find("bmcquiet_inband_ipmi_user_info{", at + 1))
    ++series;
  CHECK(series == 17);  // 16 names + "other"
  CHECK(h.value(R"(bmcquiet_inband_ipmi_user_info{comm="other"})") == 24);
}

TEST_CASE("ipmi_si counters from platform and class devices count forward deltas only") {
  Host h;
  h.si("sys/devices/platform/ipmi_si.0", 100, 0);
  // An ACPI-enumerated interface reached through /sys/class/ipmi.
  h.si("sys/devices/pnp0/IPI0001:00", 50, 0);
  fs::create_directories(h.root.path() + "/sys/class/ipmi/ipmi1");
  fs::create_directory_symlink(h.root.path() + "/sys/devices/pnp0/IPI0001:00",
                               h.root.path() + "/sys/class/ipmi/ipmi1/device");
  const auto view = scan_inband_ipmi(h.paths(), {});
  CHECK(view.si_interfaces == 2);
  CHECK(view.si_type == "kcs");
  CHECK(view.si_counters.at("complete_transactions") == 150);
  CHECK(view.si_counters.at("short_timeouts") == 6);
  CHECK_FALSE(view.si_counters.count("attempts"));  // absent files are not zeros

  REQUIRE(h.run().ok);  // baseline
  CHECK(h.value(R"(bmcquiet_ipmi_si_transactions_total{kind="complete_transactions"})") == 0);
  h.si("sys/devices/platform/ipmi_si.0", 130, 1);
  REQUIRE(h.run().ok);
  CHECK(h.value(R"(bmcquiet_ipmi_si_transactions_total{kind="complete_transactions"})") == 30);
  CHECK(h.value(R"(bmcquiet_ipmi_si_transactions_total{kind="hosed"})") == 1);
  // The module reloads: counters restart from zero, nothing is subtracted.
  h.si("sys/devices/platform/ipmi_si.0", 0, 0);
  REQUIRE(h.run().ok);
  CHECK(h.value(R"(bmcquiet_ipmi_si_transactions_total{kind="complete_transactions"})") == 30);
}
