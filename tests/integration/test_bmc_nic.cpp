// The bmc_nic collector end to end: a real Redfish server (bmcsim) serving
// the redfish-nic fixtures, OpenIPMI's ipmi_sim with a LAN MAC, and a fake
// <sysfs>/class/net tree (the only fake: host NICs cannot exist here).
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "bmc/bmc.hpp"
#include "collectors/bmc_nic.hpp"
#include "core/mac_address.hpp"
#include "metrics/metrics.hpp"
#include "support/bmcsim.hpp"
#include "support/fake_netdev.hpp"
#include "support/ipmi_sim.hpp"
#include "support/redfish_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

// One collection through the collector's own seam; returns /metrics text.
std::string collect_once(boost::asio::io_context& io, Metrics& metrics,
                         const std::shared_ptr<bmc::Bmc>& owner, const FakeNetdevs& net,
                         CollectOutcome* outcome = nullptr) {
  CollectorEnv env{io, metrics, Paths{}, {}, owner};
  env.paths.sysfs = net.sysfs();
  auto c = make_bmc_nic_collector_with(env, net.reader());
  REQUIRE(c);
  c->start();
  std::optional<CollectOutcome> out;
  c->collect([&](CollectOutcome o) { out = std::move(o); });
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (!out && std::chrono::steady_clock::now() < until) {
    if (io.stopped()) io.restart();
    io.run_one_for(50ms);
  }
  REQUIRE(out);
  if (outcome) *outcome = *out;
  c->stop();
  return metrics.serialize();
}

std::string redfish_metrics(const std::string& fixture, const FakeNetdevs& net) {
  const auto folder = fixture.find('/') == std::string::npos ? fixture_dir("redfish-nic/" + fixture)
                                                             : fixture;  // a real capture's folder
  BmcSim sim({.mockup = folder});
  RedfishRig rig;
  Metrics metrics;
  auto options = rig.options(sim);
  options.max_response_bytes = 16 * 1024 * 1024;  // captures' large collections
  auto owner = bmc::Bmc::create(rig.io, nullptr, {.redfish = options});
  CollectOutcome outcome;
  auto text = collect_once(rig.io, metrics, owner, net, &outcome);
  INFO(outcome.error);
  CHECK(outcome.ok);
  rig.shutdown(*owner->redfish());
  return text;
}

}  // namespace

TEST_CASE("bmc_nic over Redfish: HPE dedicated port, its shared port off, LOM MAC nearby") {
  FakeNetdevs net;
  // The LOM's MAC is two below the dedicated port's (one block per board):
  // the BMC's own word (Oem.Hpe.InterfaceType) must win over the offset rule.
  net.add("eno1", "94:40:c9:41:e8:88", "pci", "0000:01:00.0", 1, "94:40:c9:41:e8:88");
  net.add("usb0", "0a:ca:fe:f0:0d:04", "usb", "usb1/1-1:1.0");  // the virtual NIC
  const auto text = redfish_metrics("dedicated", net);
  CHECK_THAT(text, Catch::Contains("bmcquiet_bmc_nic_shared 0"));
  CHECK_THAT(text, Catch::Contains(R"(how="vendor_setting")"));
  CHECK_THAT(text, Catch::Contains(R"(bmc_mac="94:40:c9:41:e8:8a")"));
  CHECK_THAT(text, Catch::Contains(R"(port="Managers/1/EthernetInterfaces/1")"));
}

TEST_CASE("bmc_nic over Redfish: Supermicro's active interface is the shared LOM") {
  FakeNetdevs net;
  net.add("eno1", "7c:c2:55:50:a8:fd", "pci", "0000:3b:00.0", 1, "7c:c2:55:50:a8:fd");
  net.add("eno2", "7c:c2:55:50:a8:fe", "pci", "0000:3b:00.1", 1, "7c:c2:55:50:a8:fe");
  const auto text = redfish_metrics("shared", net);
  CHECK_THAT(text, Catch::Contains("bmcquiet_bmc_nic_shared 1"));
  CHECK_THAT(text, Catch::Contains(R"(how="vendor_setting")"));
  CHECK_THAT(text, Catch::Contains(R"(interface="eno2")"));
  CHECK_THAT(text, Catch::Contains(R"(pci="0000:3b:00.1")"));
}

TEST_CASE("bmc_nic over Redfish: Dell's DellAttributes say LOM1") {
  FakeNetdevs net;
  net.add("eno8303", "b0:7b:25:d6:51:7e", "pci", "0000:04:00.0", 1, "b0:7b:25:d6:51:7e");
  const auto text = redfish_metrics("dell-lom", net);
  CHECK_THAT(text, Catch::Contains("bmcquiet_bmc_nic_shared 1"));
  CHECK_THAT(text, Catch::Contains(R"(how="vendor_setting")"));
  CHECK_THAT(text, Catch::Contains(R"(interface="eno8303")"));
}

TEST_CASE("bmc_nic over Redfish: no port setting, the NC-SI offset from the permanent MAC") {
  FakeNetdevs net;
  // A bond moved eno1's current address; its burnt-in one is the BMC's - 1.
  net.add("eno1", "02:00:00:aa:bb:cc", "pci", "0000:3b:00.0", 1, "3c:ec:ef:10:20:30");
  auto text = redfish_metrics("ncsi", net);
  CHECK_THAT(text, Catch::Contains("bmcquiet_bmc_nic_shared 1"));
  CHECK_THAT(text, Catch::Contains(R"(how="mac_offset")"));
  CHECK_THAT(text, Catch::Contains(R"(interface="eno1")"));

  FakeNetdevs other;  // a host NIC from another vendor's block: dedicated
  other.add("enp1s0", "a0:36:9f:00:00:01", "pci", "0000:01:00.0", 1, "a0:36:9f:00:00:01");
  text = redfish_metrics("ncsi", other);
  CHECK_THAT(text, Catch::Contains("bmcquiet_bmc_nic_shared 0"));
  CHECK_THAT(text, Catch::Contains(R"(how="no_mac_relation")"));

  FakeNetdevs none;  // no PCI NIC visible (another network namespace): unknown
  none.add("lo", "00:00:00:00:00:00", "", "", 772);
  text = redfish_metrics("ncsi", none);
  CHECK_THAT(text, !Catch::Contains("bmcquiet_bmc_nic_shared "));
  CHECK_THAT(text, !Catch::Contains("bmcquiet_bmc_nic_info{"));
}

TEST_CASE("bmc_nic over IPMI: the LAN channel's MAC on a host port, as ipmitool prints it") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim(IpmiSim::Options{.sel_entries = 0, .lan_mac = "3c:ec:ef:10:20:30"});
  REQUIRE(sim.start());
  const auto printed = run_command(sim.ipmitool("lan print 1"));
  REQUIRE_THAT(printed.output, Catch::Contains("MAC Address             : 3c:ec:ef:10:20:30"));

  FakeNetdevs net;
  net.add("eno1", "3c:ec:ef:10:20:30", "pci", "0000:3b:00.0", 1, "3c:ec:ef:10:20:30");
  boost::asio::io_context io;
  Metrics metrics;
  auto owner = bmc::Bmc::create(io, nullptr, {.ipmi = sim.client_config()});
  auto text = collect_once(io, metrics, owner, net);
  CHECK_THAT(text, Catch::Contains("bmcquiet_bmc_nic_shared 1"));
  CHECK_THAT(text, Catch::Contains(R"(how="mac_match")"));
  CHECK_THAT(text, Catch::Contains(R"(port="LAN channel 1")"));
  CHECK_THAT(text, Catch::Contains(R"(source="ipmi")"));

  FakeNetdevs other;
  other.add("enp1s0", "a0:36:9f:00:00:01", "pci", "0000:01:00.0", 1, "a0:36:9f:00:00:01");
  Metrics fresh;
  text = collect_once(io, fresh, owner, other);
  CHECK_THAT(text, Catch::Contains("bmcquiet_bmc_nic_shared 0"));
  bool closed = false;
  owner->shutdown([&] { closed = true; });
  for (int i = 0; i < 50 && !closed; ++i) io.run_one_for(100ms);
}

TEST_CASE("bmc_nic over IPMI: channels scanned once, then only the LAN channel's MAC is read") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim(IpmiSim::Options{.sel_entries = 0, .lan_mac = "3c:ec:ef:10:20:31"});
  REQUIRE(sim.start());
  FakeNetdevs net;
  net.add("eno1", "3c:ec:ef:10:20:30", "pci", "0000:3b:00.0", 1, "3c:ec:ef:10:20:30");
  boost::asio::io_context io;
  Metrics metrics;
  auto owner = bmc::Bmc::create(io, nullptr, {.ipmi = sim.client_config()});
  CollectorEnv env{io, metrics, Paths{}, {}, owner};
  env.paths.sysfs = net.sysfs();
  auto c = make_bmc_nic_collector_with(env, net.reader());
  c->start();
  auto collect = [&] {
    const auto before = owner->ipmi()->stats().requests;
    std::optional<CollectOutcome> out;
    c->collect([&](CollectOutcome o) { out = std::move(o); });
    for (int i = 0; i < 300 && !out; ++i) {
      if (io.stopped()) io.restart();
      io.run_one_for(100ms);
    }
    REQUIRE(out);
    CHECK(out->ok);
    return owner->ipmi()->stats().requests - before;
  };
  CHECK(collect() == 12);  // Get Channel Info for 1..11, LAN parameter 5 on channel 1
  CHECK(collect() == 1);
  CHECK_THAT(metrics.serialize(), Catch::Contains(R"(how="mac_offset")"));
  c->stop();
}

TEST_CASE("bmc_nic over IPMI: a BMC that does not answer is a failed collection, not a verdict") {
  if (skip_without_ipmi_sim()) return;
  IpmiSim sim;
  REQUIRE(sim.start());
  sim.pause();
  FakeNetdevs net;
  net.add("eno1", "3c:ec:ef:10:20:30", "pci", "0000:3b:00.0", 1, "3c:ec:ef:10:20:30");
  boost::asio::io_context io;
  Metrics metrics;
  auto config = sim.client_config();
  config.timeout = 200ms;
  config.retries = 0;
  auto owner = bmc::Bmc::create(io, nullptr, {.ipmi = config});
  CollectOutcome outcome;
  const auto text = collect_once(io, metrics, owner, net, &outcome);
  CHECK_FALSE(outcome.ok);
  CHECK_THAT(outcome.error, Catch::Contains("IPMI"));
  CHECK_THAT(text, !Catch::Contains("bmcquiet_bmc_nic_shared "));
  sim.resume();
}

TEST_CASE("check: a BMC sharing a host NIC is a WARNING naming the interface and the fix",
          "[cli][check]") {
  BmcSim sim({.mockup = fixture_dir("redfish-nic/shared")});
  FakeNetdevs net;
  net.add("eno1", "7c:c2:55:50:a8:fd", "pci", "0000:3b:00.0");
  net.add("eno2", "7c:c2:55:50:a8:fe", "pci", "0000:3b:00.1");
  TempDir dir;
  const auto password = dir.write("password", "secret");
  ::chmod(password.c_str(), 0600);
  const auto config = dir.write(
      "bmcquiet.yaml", fmt::format("paths:\n  state: {0}/state\n  sysfs: {1}\nbmc:\n  redfish:\n"
                                   "    url: {2}\n    insecure: true\n    host_interface: false\n"
                                   "    username: admin\n    password_credential: \"\"\n"
                                   "    password_file: {3}\n",
                                   dir.path(), net.sysfs(), sim.url(), password));
  const auto run = run_command(built_binary("daemon/bmcquietctl") +
                               " check --json --sample 0.2 --config " + config + " 2>/dev/null");
  INFO(run.output);
  // The report is the last line (plain http logs its TLS warning first).
  const auto start = run.output.rfind("\n{");
  const auto report =
      boost::json::parse(run.output.substr(start == std::string::npos ? 0 : start + 1)).as_object();
  boost::json::object nic;
  for (const auto& f : report.at("findings").as_array())
    if (f.at("check") == "bmc_nic") nic = f.as_object();
  REQUIRE_FALSE(nic.empty());
  CHECK(nic.at("severity") == "WARNING");
  const std::string reason(nic.at("reason").as_string());
  CHECK_THAT(reason, Catch::Contains("eno2") && Catch::Contains("0000:3b:00.1") &&
                         Catch::Contains("Oem.Supermicro.ActiveInterface=Shared") &&
                         Catch::Contains("Dedicated"));
  CHECK(report.at("exit_code").as_int64() >= 1);
}

// The first enabled, non-host-interface port's MAC of a capture's manager.
std::string capture_mac(const std::filesystem::path& manager) {
  for (const auto& i : std::filesystem::directory_iterator(manager / "EthernetInterfaces")) {
    const auto file = i.path() / "index.json";
    if (!std::filesystem::exists(file)) continue;
    const auto body = boost::json::parse(read_file(file.string())).as_object();
    if (body.contains("Links") && body.at("Links").as_object().contains("HostInterface")) continue;
    if (body.contains("InterfaceEnabled") && body.at("InterfaceEnabled") == false) continue;
    if (body.contains("MACAddress") && body.at("MACAddress").is_string())
      return std::string(body.at("MACAddress").as_string());
  }
  return {};
}

TEST_CASE("bmc_nic over Redfish: every real capture with EthernetInterfaces, LOM one MAC below") {
  const auto root = shared_mockups();
  if (!root) return;
  // What each BMC says about its port; the captures are all dedicated, and
  // OpenBMC's gives no word, so there the NC-SI offset rule decides.
  const std::map<std::string, std::string> expected = {
      {"dell-idrac9", "vendor_setting"}, {"hpe-ilo5-apollo6500-xl675d-a100", "vendor_setting"},
      {"supermicro", "vendor_setting"},  {"dmtf-public-rackmount1", "vendor_setting"},
      {"openbmc-bmcweb", "mac_offset"},
  };
  int captures = 0;
  for (const auto& bmc : std::filesystem::directory_iterator(*root)) {
    const auto managers = bmc.path() / "redfish/v1/Managers";
    if (!std::filesystem::is_directory(managers)) continue;
    for (const auto& m : std::filesystem::directory_iterator(managers)) {
      if (!std::filesystem::is_directory(m.path() / "EthernetInterfaces")) continue;
      const auto name = bmc.path().filename().string();
      INFO(name);
      ++captures;
      const auto mac = normalise_mac(capture_mac(m.path()));
      REQUIRE(mac);
      // A host LOM one below the BMC's MAC: the board's block, not proof of sharing.
      auto lom = *mac;
      const auto last = std::stoul(lom.substr(15, 2), nullptr, 16);
      REQUIRE(last > 0);
      lom.replace(15, 2, fmt::format("{:02x}", last - 1));
      FakeNetdevs net;
      net.add("eno1", lom, "pci", "0000:3b:00.0", 1, lom);
      const auto text = redfish_metrics(bmc.path().string(), net);
      const auto how = expected.count(name) ? expected.at(name) : std::string();
      CHECK_THAT(text, Catch::Contains("bmcquiet_bmc_nic_shared " +
                                       std::string(how == "mac_offset" ? "1" : "0")));
      if (!how.empty()) CHECK_THAT(text, Catch::Contains("how=\"" + how + "\""));
    }
  }
  CHECK(captures >= 5);
}

TEST_CASE("bmcquietd: collectors.bmc_nic runs at start and exports the verdict", "[daemon]") {
  BmcSim sim({.mockup = fixture_dir("redfish-nic/shared")});
  FakeNetdevs net;
  net.add("eno2", "7c:c2:55:50:a8:fe", "pci", "0000:3b:00.1");
  TempDir dir;
  const auto password = dir.write("password", "secret");
  ::chmod(password.c_str(), 0600);
  const auto config = dir.write(
      "bmcquiet.yaml",
      fmt::format("paths:\n  state: {0}/state\nbmc:\n  redfish:\n    url: {1}\n    insecure: true\n"
                  "    host_interface: false\n    username: admin\n    password_credential: \"\"\n"
                  "    password_file: {2}\ncollectors:\n  policy:\n    enabled: false\n",
                  dir.path(), sim.url(), password));
  NotifySocket notify(dir.path());
  Process daemon({built_binary("daemon/bmcquietd"), "--config", config, "--listen", "127.0.0.1:0",
                  "--path.sysfs", net.sysfs(), "--log-level", "error"},
                 {{"NOTIFY_SOCKET", notify.path()}});
  const auto ready = notify.wait_for("READY=1", 10s);
  REQUIRE(ready);
  const auto start = ready->find("http://");
  const auto url = ready->substr(start, ready->find("/metrics", start) + 8 - start);
  std::string body;
  for (int i = 0; i < 100; ++i) {
    body = http_get(url).body;
    if (sample_value(body, "bmcquiet_bmc_nic_shared")) break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(body);
  CHECK(sample_value(body, "bmcquiet_bmc_nic_shared") == 1.0);
  CHECK(sample_value(body, R"(bmcquiet_collector_up{collector="bmc_nic"})") == 1.0);
  CHECK_THAT(body, Catch::Contains(R"(interface="eno2")"));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(5s) == 0);
}
