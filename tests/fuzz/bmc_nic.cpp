// The shared-BMC-NIC decoders with any input: a Redfish EthernetInterface or
// attribute-set body (JSON), the same bytes as IPMI Get Channel Info / LAN
// parameter 5 answers, and MAC text; then the verdict over what came out.
#include "redfish/bmc_nic.hpp"
#include "bmc/nic_sharing.hpp"
#include "core/mac_address.hpp"
#include "fuzz_common.hpp"
#include "ipmi/lan_mac.hpp"
#include "redfish/json.hpp"

using namespace bmcquiet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet_logs();
  const auto text = fuzz::text(data, size);
  const ipmi::Bytes bytes(data, data + size);
  (void)ipmi::decode_is_lan_channel(bytes);
  const auto ipmi_mac = ipmi::decode_lan_mac(bytes);
  const auto mac = normalise_mac(std::string(text));
  if (mac && ipmi_mac) (void)mac_distance(*mac, *ipmi_mac);

  std::vector<bmc::NicPort> ports;
  if (auto body = redfish::Json::parse(text)) {
    const auto p = redfish::decode_ethernet_interface(*body, *body);
    (void)redfish::attributes_nic_word(*body);
    bmc::NicPort n;
    n.mac = p.mac;
    n.permanent_mac = p.permanent_mac;
    n.enabled = p.enabled;
    n.host_interface = p.host_interface;
    if (p.word) n.shared = p.word->shared;
    ports.push_back(n);
  }
  if (ipmi_mac) ports.push_back({"ipmi", "LAN channel 1", *ipmi_mac, "", true, false, {}, ""});
  const std::vector<HostInterface> host = {
      {"eno1", mac.value_or("3c:ec:ef:10:20:30"), ipmi_mac.value_or(""), "0000:3b:00.0"}};
  (void)bmc::decide_nic_sharing(ports, host);
  return 0;
}
