// The shared-BMC-NIC pieces one by one: the IPMI decoders, the MAC text
// rules, the host's interfaces from a fake sysfs tree, the Redfish port
// decoder (fixtures and real captures) and the decision rules.
#include <cctype>
#include <filesystem>

#include <catch2/catch.hpp>

#include "bmc/nic_sharing.hpp"
#include "collectors/bmc_nic.hpp"
#include "core/mac_address.hpp"
#include "ctl/check_nic.hpp"
#include "ipmi/lan_mac.hpp"
#include "platform/net_ifaces.hpp"
#include "redfish/bmc_nic.hpp"
#include "support/bmcsim.hpp"
#include "support/fake_netdev.hpp"
#include "support/redfish_rig.hpp"

using namespace bmcquiet;
namespace fs = std::filesystem;

namespace {

redfish::Json json_file(const std::string& path) {
  auto j = redfish::Json::parse(test::read_file(path));
  REQUIRE(j);
  return *j;
}

bmc::NicPort port(const std::string& mac, std::optional<bool> shared = std::nullopt) {
  bmc::NicPort p;
  p.source = "redfish";
  p.port = "Managers/1/EthernetInterfaces/1";
  p.mac = mac;
  p.shared = shared;
  if (shared) p.setting = *shared ? "Oem.X=Shared" : "Oem.X=Dedicated";
  return p;
}

HostInterface host(const std::string& name, const std::string& mac, const std::string& perm = "") {
  return {name, mac, perm, "0000:3b:00.0"};
}

}  // namespace

TEST_CASE("IPMI: Get Channel Info and LAN parameter 5 decode as ipmitool reads them") {
  CHECK(ipmi::channel_info_request(1).netfn == 0x06);
  CHECK(ipmi::channel_info_request(1).cmd == 0x42);
  const auto mac_req = ipmi::lan_mac_request(3);
  CHECK(mac_req.netfn == 0x0C);
  CHECK(mac_req.data == ipmi::Bytes{0x03, 0x05, 0x00, 0x00});
  // Channel 1: 802.3 LAN (medium 0x04), IPMB-1.0 (0x01) is not.
  CHECK(ipmi::decode_is_lan_channel({0x01, 0x04, 0x01, 0x82, 0xF2, 0x1B, 0x00, 0, 0}) == true);
  CHECK(ipmi::decode_is_lan_channel({0x00, 0x01, 0x01}) == false);
  CHECK_FALSE(ipmi::decode_is_lan_channel({0x01}).has_value());
  CHECK(ipmi::decode_lan_mac({0x11, 0x7C, 0xC2, 0x55, 0x50, 0xA8, 0xFF}) == "7c:c2:55:50:a8:ff");
  CHECK_FALSE(ipmi::decode_lan_mac({0x11, 0, 0, 0, 0, 0, 0}).has_value());
  CHECK_FALSE(ipmi::decode_lan_mac({0x11, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}).has_value());
  CHECK_FALSE(ipmi::decode_lan_mac({0x11, 0x7C, 0xC2}).has_value());
}

TEST_CASE("MAC text: one spelling, and the distance within one vendor block") {
  CHECK(normalise_mac("94-40-C9-41-E8-8A") == "94:40:c9:41:e8:8a");
  CHECK(normalise_mac("9440c941e88a") == "94:40:c9:41:e8:8a");
  CHECK_FALSE(normalise_mac("00:00:00:00:00:00"));
  CHECK_FALSE(normalise_mac("94:40:c9:41:e8"));
  CHECK_FALSE(normalise_mac("(null)"));
  CHECK(mac_distance("7c:c2:55:50:a8:fd", "7c:c2:55:50:a8:ff") == 2u);
  CHECK(mac_distance("7c:c2:55:50:a8:ff", "7c:c2:55:50:a9:00") == 1u);  // carries over
  CHECK_FALSE(mac_distance("7c:c2:55:50:a8:ff", "7c:c2:55:50:a8:fd"));  // before, not after
  CHECK_FALSE(mac_distance("7c:c2:55:50:a8:fd", "7c:c2:56:50:a8:fe"));  // another OUI
}

TEST_CASE("Host interfaces: PCI Ethernet only, permanent MACs through the reader") {
  test::FakeNetdevs net;
  net.add("lo", "00:00:00:00:00:00", "", "", 772);
  net.add("eno1", "3C:EC:EF:10:20:30", "pci", "0000:3b:00.0", 1, "3c:ec:ef:10:20:30");
  net.add("eno2", "02:00:00:00:00:01", "pci", "0000:3b:00.1", 1,
          "3c:ec:ef:10:20:32");                                 // set by hand
  net.add("bond0", "3c:ec:ef:10:20:30", "");                    // virtual: no device
  net.add("usb0", "0a:ca:fe:f0:0d:05", "usb", "usb1/1-1:1.0");  // the Redfish host interface
  net.add("ib0", "80:00:00:48:fe:80", "pci", "0000:5e:00.0", 32);
  const auto found = host_interfaces(net.sysfs(), net.reader());
  REQUIRE(found.size() == 2);
  CHECK(found[0].name == "eno1");
  CHECK(found[0].pci == "0000:3b:00.0");
  CHECK(found[1].name == "eno2");
  CHECK(found[1].address == "02:00:00:00:00:01");
  CHECK(found[1].perm_address == "3c:ec:ef:10:20:32");
  CHECK(host_interfaces(net.sysfs() + "/absent").empty());
}

TEST_CASE("Host interfaces: the real ETHTOOL_GPERMADDR answers as `ethtool -P` does") {
  if (!test::have_command("ethtool")) {
    WARN("skipped: ethtool not installed (scripts/setup-test installs it)");
    return;
  }
  int asked = 0;
  for (const auto& entry : fs::directory_iterator("/sys/class/net")) {
    const auto name = entry.path().filename().string();
    auto printed = test::run_command("ethtool -P " + name + " 2>/dev/null").output;
    while (!printed.empty() && std::isspace(static_cast<unsigned char>(printed.back())))
      printed.pop_back();
    const auto colon = printed.find(": ");
    if (colon == std::string::npos) continue;  // ethtool cannot ask it either
    INFO(name << ": " << printed);
    ++asked;
    CHECK(ethtool_perm_address(name) == normalise_mac(printed.substr(colon + 2)).value_or(""));
  }
  CHECK(asked >= 1);  // loopback at least
  CHECK(ethtool_perm_address("no-such-if0").empty());
}

TEST_CASE("Redfish ports: each vendor's word, host interfaces and disabled ports marked") {
  const auto dir = test::fixture_dir("redfish-nic");
  const auto hpe_mgr = json_file(dir + "/dedicated/redfish/v1/Managers/1/index.json");
  const auto hpe1 = redfish::decode_ethernet_interface(
      hpe_mgr, json_file(dir + "/dedicated/redfish/v1/Managers/1/EthernetInterfaces/1/index.json"));
  CHECK(hpe1.mac == "94:40:c9:41:e8:8a");
  REQUIRE(hpe1.word);
  CHECK_FALSE(hpe1.word->shared);
  CHECK(hpe1.word->setting == "Oem.Hpe.InterfaceType=Dedicated");
  const auto hpe2 = redfish::decode_ethernet_interface(
      hpe_mgr, json_file(dir + "/dedicated/redfish/v1/Managers/1/EthernetInterfaces/2/index.json"));
  CHECK_FALSE(hpe2.enabled);
  CHECK(hpe2.word->shared);
  const auto hpe3 = redfish::decode_ethernet_interface(
      hpe_mgr, json_file(dir + "/dedicated/redfish/v1/Managers/1/EthernetInterfaces/3/index.json"));
  CHECK(hpe3.host_interface);

  const auto smc = redfish::decode_ethernet_interface(
      json_file(dir + "/shared/redfish/v1/Managers/1/index.json"),
      json_file(dir + "/shared/redfish/v1/Managers/1/EthernetInterfaces/1/index.json"));
  REQUIRE(smc.word);
  CHECK(smc.word->shared);
  CHECK(smc.word->setting == "Oem.Supermicro.ActiveInterface=Shared");

  // Older Supermicro firmware: the configured mode only; Failover says nothing.
  const auto lan = [](const char* mode) {
    return redfish::interface_nic_word(*redfish::Json::parse(
        std::string(R"({"Oem":{"Supermicro":{"LANInterface":")") + mode + R"("}}})"));
  };
  CHECK(lan("Shared")->shared);
  CHECK_FALSE(lan("Dedicated")->shared);
  CHECK_FALSE(lan("Failover"));

  const auto dell = redfish::attributes_nic_word(
      json_file(dir + "/dell-lom/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellAttributes/"
                      "iDRAC.Embedded.1/index.json"));
  REQUIRE(dell);
  CHECK(dell->shared);
  CHECK(dell->setting == "CurrentNIC.1.ActiveNIC=LOM1");
}

TEST_CASE("Redfish ports: every real capture with EthernetInterfaces decodes") {
  const auto root = test::shared_mockups();
  if (!root) return;
  int captures = 0;
  for (const auto& bmc : fs::directory_iterator(*root)) {
    const auto managers = bmc.path() / "redfish/v1/Managers";
    if (!fs::is_directory(managers)) continue;
    for (const auto& m : fs::directory_iterator(managers)) {
      const auto ifaces = m.path() / "EthernetInterfaces";
      if (!fs::is_directory(ifaces)) continue;
      ++captures;
      const auto manager = json_file((m.path() / "index.json").string());
      int usable = 0;
      for (const auto& i : fs::directory_iterator(ifaces)) {
        if (!fs::exists(i.path() / "index.json")) continue;
        const auto p = redfish::decode_ethernet_interface(
            manager, json_file((i.path() / "index.json").string()));
        INFO(i.path().string());
        CHECK_FALSE(p.id.empty());
        if (p.enabled && !p.host_interface && !p.mac.empty()) ++usable;
      }
      INFO(m.path().string());
      CHECK(usable >= 1);  // every BMC has a port of its own to the network
    }
  }
  CHECK(captures >= 5);
}

TEST_CASE("Redfish ports: what the captures' BMCs say about their ports") {
  const auto root = test::shared_mockups();
  if (!root) return;
  const auto word = [&](const std::string& mgr, const std::string& iface) {
    const auto m = *root / mgr;
    return redfish::decode_ethernet_interface(
               json_file((m / "index.json").string()),
               json_file((m / "EthernetInterfaces" / iface / "index.json").string()))
        .word;
  };
  const auto hpe = word("hpe-ilo5-apollo6500-xl675d-a100/redfish/v1/Managers/1", "1");
  REQUIRE(hpe);
  CHECK_FALSE(hpe->shared);
  const auto smc = word("supermicro/redfish/v1/Managers/1", "1");
  REQUIRE(smc);
  CHECK(smc->setting == "Oem.Supermicro.ActiveInterface=Dedicated");
  const auto dmtf = word("dmtf-public-rackmount1/redfish/v1/Managers/BMC", "eth0");
  REQUIRE(dmtf);  // Links.Ports into DedicatedNetworkPorts
  CHECK_FALSE(dmtf->shared);
  CHECK_FALSE(word("openbmc-bmcweb/redfish/v1/Managers/bmc", "eth0"));
  const auto dell = redfish::attributes_nic_word(
      json_file((*root / "dell-idrac9/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellAttributes/"
                         "iDRAC.Embedded.1/index.json")
                    .string()));
  REQUIRE(dell);
  CHECK(dell->setting == "CurrentNIC.1.ActiveNIC=Dedicated");
}

TEST_CASE("NIC sharing: the BMC's word wins, then an exact MAC, then the NC-SI offset") {
  const std::vector<HostInterface> hosts = {host("eno1", "7c:c2:55:50:a8:fd", "7c:c2:55:50:a8:fd"),
                                            host("eno2", "7c:c2:55:50:a8:fe", "7c:c2:55:50:a8:fe")};
  SECTION("a dedicated word beats a MAC next to the LOM's (one block per board)") {
    const auto v = bmc::decide_nic_sharing({port("7c:c2:55:50:a8:ff", false)}, hosts);
    CHECK(v.shared == false);
    CHECK(v.how == "vendor_setting");
  }
  SECTION("a shared word, with the host port its MAC follows") {
    const auto v = bmc::decide_nic_sharing({port("7c:c2:55:50:a8:ff", true)}, hosts);
    CHECK(v.shared == true);
    CHECK(v.how == "vendor_setting");
    CHECK(v.interface == "eno2");
  }
  SECTION("no word: the BMC's MAC on a host interface") {
    const auto v = bmc::decide_nic_sharing({port("7c:c2:55:50:a8:fe")}, hosts);
    CHECK(v.shared == true);
    CHECK(v.how == "mac_match");
    CHECK(v.interface == "eno2");
  }
  SECTION("no word: the host port's permanent MAC plus a small offset") {
    auto moved = hosts;
    moved[1].address = "02:11:22:33:44:55";  // a bond changed the current one
    const auto v = bmc::decide_nic_sharing({port("7c:c2:55:50:a9:00")}, moved);
    CHECK(v.shared == true);
    CHECK(v.how == "mac_offset");
    CHECK(v.interface == "eno2");
  }
  SECTION("no relation: dedicated") {
    const auto v = bmc::decide_nic_sharing({port("94:40:c9:41:e8:8a")}, hosts);
    CHECK(v.shared == false);
    CHECK(v.how == "no_mac_relation");
  }
  SECTION("a disabled or host-interface port never decides") {
    auto off = port("7c:c2:55:50:a8:fe", true);
    off.enabled = false;
    auto usb = port("7c:c2:55:50:a8:fe");
    usb.host_interface = true;
    const auto v = bmc::decide_nic_sharing({off, usb, port("94:40:c9:41:e8:8a")}, hosts);
    CHECK(v.shared == false);
  }
  SECTION("unknown without BMC MACs or without host interfaces") {
    CHECK_FALSE(bmc::decide_nic_sharing({}, hosts).shared);
    const auto v = bmc::decide_nic_sharing({port("94:40:c9:41:e8:8a")}, {});
    CHECK_FALSE(v.shared);
    CHECK_THAT(v.why, Catch::Contains("class/net"));
  }
}

TEST_CASE("check: shared is a WARNING with the fix; dedicated and unknown are notes saying why") {
  NicLook look;
  look.bmc_answered = true;
  look.verdict = bmc::decide_nic_sharing({port("7c:c2:55:50:a8:ff", true)},
                                         {host("eno2", "7c:c2:55:50:a8:fe", "7c:c2:55:50:a8:fe")});
  ctl::Findings shared;
  ctl::judge_nic(&look, true, shared);
  REQUIRE(shared.all().size() == 1);
  CHECK(shared.all()[0].severity == ctl::Severity::warning);
  CHECK_THAT(shared.all()[0].reason, Catch::Contains("eno2") && Catch::Contains("Dedicated"));

  look.verdict = bmc::decide_nic_sharing({port("94:40:c9:41:e8:8a", false)}, {});
  ctl::Findings dedicated;
  ctl::judge_nic(&look, true, dedicated);
  CHECK(dedicated.worst() == ctl::Severity::ok);
  CHECK_THAT(dedicated.all()[0].reason, Catch::Contains("port of its own"));

  look.verdict = bmc::decide_nic_sharing({port("94:40:c9:41:e8:8a")}, {});
  ctl::Findings unknown;
  ctl::judge_nic(&look, true, unknown);
  CHECK(unknown.worst() == ctl::Severity::ok);
  CHECK_THAT(unknown.all()[0].reason,
             Catch::Contains("cannot tell") && Catch::Contains("class/net"));

  look = NicLook{};
  look.errors = {"IPMI: no answer after 3 attempts"};
  look.verdict = bmc::decide_nic_sharing({}, {});
  ctl::Findings silent;
  ctl::judge_nic(&look, true, silent);
  CHECK_THAT(silent.all()[0].reason, Catch::Contains("no answer"));

  ctl::Findings none;
  ctl::judge_nic(nullptr, false, none);
  CHECK_THAT(none.all()[0].reason, Catch::Contains("not checked"));
}
