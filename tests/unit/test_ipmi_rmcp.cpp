// RMCP+ session crypto and framing (IPMI 2.0 §13.28-13.32) against known
// answers: the RAKP/SIK/K1/K2/ICV values below were computed independently of
// this code (Python's hmac over the spec's field order) for fixed inputs, and
// the AES block is NIST SP 800-38A F.2.1.
#include <catch2/catch.hpp>

#include "ipmi/codec.hpp"
#include "ipmi/rmcp.hpp"

using namespace bmcquiet::ipmi;
namespace rmcp = bmcquiet::ipmi::rmcp;

namespace {

Bytes hex(const std::string& s) {
  Bytes b;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2)
    b.push_back(std::uint8_t(std::stoul(s.substr(i, 2), nullptr, 16)));
  return b;
}

rmcp::Handshake fixed_handshake(int suite) {
  rmcp::Handshake h;
  h.suite = *rmcp::cipher_suite(suite);
  h.console_sid = 0x12345678;
  h.bmc_sid = 0xDEADBEEF;
  for (int i = 0; i < 16; ++i) {
    h.rm[i] = std::uint8_t(i);
    h.rc[i] = std::uint8_t(16 + i);
    h.guid[i] = std::uint8_t(0xA0 + i);
  }
  h.role = 0x14;  // admin, name-only lookup
  h.user = "admin";
  h.password = "password";
  return h;
}

}  // namespace

TEST_CASE("RAKP HMAC-SHA1 (cipher suite 3) known answers", "[ipmi][rmcp]") {
  auto h = fixed_handshake(3);
  CHECK(rmcp::rakp2_auth_code(h) == hex("79494445b5bc1ebbd5e2bfee7d0eb704bc38253e"));
  auto rakp3 = rmcp::rakp3(7, h);
  CHECK(Bytes(rakp3.begin() + 8, rakp3.end()) == hex("ce8b3694b277e28b66236c1f8ed4833006b6331f"));
  CHECK(Bytes(rakp3.begin(), rakp3.begin() + 8) == Bytes{7, 0, 0, 0, 0xEF, 0xBE, 0xAD, 0xDE});
  auto keys = rmcp::derive_keys(h);
  CHECK(keys.sik == hex("122c77c4b11ccd93251cbae6c34a9cb6310da154"));
  CHECK(keys.k1 == hex("e4472be78f9a81fa68297aab696a7be8c97fc9f8"));
  CHECK(keys.k2 == hex("2b6552012a2517cb3b5713901d757a6efc7d8301"));
  CHECK(rmcp::rakp4_icv(h, keys) == hex("b06703246841f1f32ceb0e6d"));
}

TEST_CASE("RAKP HMAC-SHA256 (cipher suite 17) known answers", "[ipmi][rmcp]") {
  auto h = fixed_handshake(17);
  CHECK(rmcp::rakp2_auth_code(h) ==
        hex("08921d770819a70f45a60267a3fe5dca659b79f59b24312d04c3f8f98acaf8cf"));
  auto keys = rmcp::derive_keys(h);
  CHECK(keys.sik == hex("e5935f7199865ad961063477b0662684e2ce9b1da8f2b8d41c5ce127d37e9bcf"));
  CHECK(keys.k1 == hex("d2bb1919caf11253c1d7849dd7aa00825470ea0bec22df7ead719e11435b5d02"));
  CHECK(keys.k2 == hex("fba574e70f910546e8a56bafa690a03b53b9d8a75b21028108d6e1fbd1bc41d6"));
  CHECK(rmcp::rakp4_icv(h, keys) == hex("e031452e6534e1f09d9a5aaa18bb85a1"));
}

TEST_CASE("only integrity-protected, encrypted cipher suites are offered", "[ipmi][rmcp]") {
  CHECK_FALSE(rmcp::cipher_suite(0));  // no authentication at all
  CHECK_FALSE(rmcp::cipher_suite(1));
  CHECK_FALSE(rmcp::cipher_suite(2));
  REQUIRE(rmcp::cipher_suite(3));
  CHECK(rmcp::cipher_suite(3)->icv_len() == 12);
  REQUIRE(rmcp::cipher_suite(17));
  CHECK(rmcp::cipher_suite(17)->icv_len() == 16);
}

TEST_CASE("AES-CBC-128 matches NIST SP 800-38A F.2.1", "[ipmi][rmcp]") {
  rmcp::Random16 iv{};
  for (int i = 0; i < 16; ++i) iv[i] = std::uint8_t(i);
  auto cipher = rmcp::aes_cbc_encrypt(hex("2b7e151628aed2a6abf7158809cf4f3c"), iv,
                                      hex("6bc1bee22e409f96e93d7e117393172a"));
  CHECK(cipher == hex("7649abac8119b246cee98e9b12e9197d"));
}

TEST_CASE("Open Session and RAKP 1 payloads follow tables 13-9 and 13-11", "[ipmi][rmcp]") {
  auto suite = *rmcp::cipher_suite(17);
  auto open = rmcp::open_session_request(1, 0x04, 0x12345678, suite);
  CHECK(open == Bytes{0x01, 0x04, 0, 0,    0x78, 0x56, 0x34, 0x12,  //
                      0x00, 0,    0, 0x08, 0x03, 0,    0,    0,     // auth: RAKP-HMAC-SHA256
                      0x01, 0,    0, 0x08, 0x04, 0,    0,    0,     // integrity: HMAC-SHA256-128
                      0x02, 0,    0, 0x08, 0x01, 0,    0,    0});   // confidentiality: AES-CBC-128
  auto h = fixed_handshake(17);
  auto rakp1 = rmcp::rakp1(2, h);
  REQUIRE(rakp1.size() == 28 + 5);
  CHECK(rakp1[0] == 2);
  CHECK(Bytes(rakp1.begin() + 4, rakp1.begin() + 8) == Bytes{0xEF, 0xBE, 0xAD, 0xDE});
  CHECK(rakp1[24] == 0x14);
  CHECK(rakp1[27] == 5);
  CHECK(std::string(rakp1.begin() + 28, rakp1.end()) == "admin");

  // An error answer to Open Session is short and still decodes its status.
  auto refused = rmcp::parse_open_session_response({1, 0x11, 0, 0, 0x78, 0x56, 0x34, 0x12});
  REQUIRE(refused);
  CHECK(refused->status == 0x11);
  CHECK(rmcp::describe_rakp_status(0x0D) == "0x0D unauthorized name");
}

TEST_CASE("session packets round-trip; tampering and wrong keys are rejected", "[ipmi][rmcp]") {
  for (int id : {3, 17}) {
    auto suite = *rmcp::cipher_suite(id);
    auto keys = rmcp::derive_keys(fixed_handshake(id));
    auto message = rmcp::lan_request({0x06, 0x01, {}}, 5);
    // rsAddr 0x20, netFn App<<2, checksum, rqAddr 0x81, seq<<2, cmd, checksum.
    CHECK(message == Bytes{0x20, 0x18, 0xC8, 0x81, 0x14, 0x01, 0x6A});
    auto packet = rmcp::wrap(rmcp::kPayloadIpmi, 0xDEADBEEF, 9, message, suite, &keys);
    CHECK(Bytes(packet.begin(), packet.begin() + 6) == Bytes{0x06, 0x00, 0xFF, 0x07, 0x06, 0xC0});
    // The integrity-covered range (auth type .. next header) is DWORD aligned.
    CHECK((packet.size() - 4 - suite.icv_len()) % 4 == 0);
    std::string error;
    auto back = rmcp::unwrap(packet, suite, &keys, &error);
    REQUIRE(back);
    CHECK(back->encrypted);
    CHECK(back->session_id == 0xDEADBEEF);
    CHECK(back->seq == 9);
    CHECK(back->payload == message);

    auto tampered = packet;
    tampered[20] ^= 0x01;
    CHECK_FALSE(rmcp::unwrap(tampered, suite, &keys, &error));
    CHECK(error.find("integrity") != std::string::npos);
    auto other = rmcp::derive_keys(fixed_handshake(id == 3 ? 3 : 17));
    other.k1[0] ^= 0xFF;
    CHECK_FALSE(rmcp::unwrap(packet, suite, &other, &error));
  }
}

TEST_CASE("LAN response messages are checked and decoded", "[ipmi][rmcp]") {
  // rqAddr 0x81, netFn App response (0x07)<<2, chk, rsAddr 0x20, seq 5<<2, cmd 1, cc 0, data 0x20
  Bytes m{0x81, 0x1C, 0x63, 0x20, 0x14, 0x01, 0x00, 0x20, 0x00};
  std::uint8_t sum = 0;
  for (std::size_t i = 3; i + 1 < m.size(); ++i) sum = std::uint8_t(sum + m[i]);
  m.back() = std::uint8_t(-sum);
  auto r = rmcp::parse_lan_response(m);
  REQUIRE(r);
  CHECK(r->netfn == 0x07);
  CHECK(r->rq_seq == 5);
  CHECK(r->cmd == 0x01);
  CHECK(r->response.cc == 0);
  CHECK(r->response.data == Bytes{0x20});
  m[7] ^= 0xFF;  // corrupt data: the checksum no longer matches
  CHECK_FALSE(rmcp::parse_lan_response(m));
}
