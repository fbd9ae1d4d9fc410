// One UDP datagram from a (hostile or broken) BMC through the RMCP+ side of
// lanplus: session open and RAKP answers, the packet unwrap without and with
// session keys (integrity check, AES-CBC decrypt), and the IPMI message inside.
#include "ipmi/rmcp.hpp"
#include "fuzz_common.hpp"

using namespace bmcquiet::ipmi;
using namespace bmcquiet::ipmi::rmcp;

namespace {

// Keys from a fixed handshake, so the keyed path runs the same every input.
const SessionKeys& keys() {
  static const SessionKeys k = [] {
    Handshake h;
    h.suite = *cipher_suite(17);
    h.user = "admin";
    h.password = "password";
    return derive_keys(h);
  }();
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  const Bytes bytes(data, data + size);
  (void)parse_open_session_response(bytes);
  (void)parse_rakp2(bytes);
  (void)parse_rakp4(bytes);
  (void)parse_lan_response(bytes);
  if (size > 0) (void)describe_rakp_status(data[0]);
  for (int id : {3, 17}) {
    const auto suite = *cipher_suite(id);
    std::string error;
    (void)unwrap(bytes, suite, nullptr, &error);
    if (auto p = unwrap(bytes, suite, &keys(), &error)) (void)parse_lan_response(p->payload);
  }
  // A datagram wrapped with the session's keys unwraps to the same payload
  // (the forged ones above fail integrity; this drives the decrypt path).
  // (The length field is 16 bits: our own requests are far shorter.)
  if (size < 32768) {
    const auto suite = *cipher_suite(size % 2 ? 3 : 17);
    std::string error;
    auto back =
        unwrap(wrap(kPayloadIpmi, 0x1234, 7, bytes, suite, &keys()), suite, &keys(), &error);
    if (!back || back->payload != bytes) __builtin_trap();
  }
  (void)aes_cbc_decrypt(
      keys().k2.size() >= 16 ? Bytes(keys().k2.begin(), keys().k2.begin() + 16) : Bytes(16, 0),
      bytes);
  return 0;
}
