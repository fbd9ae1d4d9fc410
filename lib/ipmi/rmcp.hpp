// IPMI 2.0 RMCP+ (lanplus) packets and session crypto, without any I/O.
//
// Implemented here on OpenSSL's libcrypto rather than linked from libfreeipmi
// (GPL-3+, incompatible with this Apache-2.0 daemon) or OpenIPMI's LGPL
// connection layer (its own threads and os_handler, callbacks off our loop).
// The lanplus transport (lan_transport.cpp) drives these over an Asio socket;
// the unit tests feed them known-answer vectors.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "ipmi/types.hpp"

namespace bmcquiet::ipmi::rmcp {

// Algorithm numbers of IPMI 2.0 table 13-17..13-19.
inline constexpr std::uint8_t kAuthHmacSha1 = 0x01, kAuthHmacSha256 = 0x03;
inline constexpr std::uint8_t kIntegrityHmacSha1_96 = 0x01, kIntegrityHmacSha256_128 = 0x04;
inline constexpr std::uint8_t kConfAesCbc128 = 0x01;

struct CipherSuite {
  int id = 0;
  std::uint8_t auth = 0, integrity = 0, confidentiality = 0;
  bool sha256() const { return auth == kAuthHmacSha256; }
  std::size_t auth_code_len() const { return sha256() ? 32 : 20; }  // RAKP2/RAKP3
  std::size_t icv_len() const { return sha256() ? 16 : 12; }        // RAKP4 and packets
};
// Suites 3 (SHA1) and 17 (SHA256), both integrity-protected and AES encrypted;
// nullopt for anything weaker: a session without them would expose the password hash.
std::optional<CipherSuite> cipher_suite(int id);

enum PayloadType : std::uint8_t {
  kPayloadIpmi = 0x00,
  kPayloadOpenRequest = 0x10,
  kPayloadOpenResponse = 0x11,
  kPayloadRakp1 = 0x12,
  kPayloadRakp2 = 0x13,
  kPayloadRakp3 = 0x14,
  kPayloadRakp4 = 0x15,
};

using Random16 = std::array<std::uint8_t, 16>;
Random16 random16();

// Everything the RAKP exchange hashes, collected as it goes.
struct Handshake {
  CipherSuite suite;
  std::uint32_t console_sid = 0;  // ours (SIDm)
  std::uint32_t bmc_sid = 0;      // the BMC's (SIDc)
  Random16 rm{}, rc{}, guid{};
  std::uint8_t role = 0;  // the RAKP1 role byte exactly as sent (privilege | lookup bits)
  std::string user;
  std::string password;  // Kuid; also Kg (no BMC key)
};

struct SessionKeys {
  Bytes sik, k1, k2;
};

Bytes open_session_request(std::uint8_t tag, std::uint8_t privilege, std::uint32_t console_sid,
                           const CipherSuite& suite);
struct OpenSessionResponse {
  std::uint8_t tag = 0, status = 0, privilege = 0;
  std::uint32_t console_sid = 0, bmc_sid = 0;
  std::uint8_t auth = 0, integrity = 0, confidentiality = 0;
};
std::optional<OpenSessionResponse> parse_open_session_response(const Bytes& p);

Bytes rakp1(std::uint8_t tag, const Handshake& h);
struct Rakp2 {
  std::uint8_t tag = 0, status = 0;
  std::uint32_t console_sid = 0;
  Random16 rc{}, guid{};
  Bytes auth_code;
};
std::optional<Rakp2> parse_rakp2(const Bytes& p);
Bytes rakp2_auth_code(const Handshake& h);  // what the BMC should have sent
Bytes rakp3(std::uint8_t tag, const Handshake& h);
struct Rakp4 {
  std::uint8_t tag = 0, status = 0;
  std::uint32_t console_sid = 0;
  Bytes icv;
};
std::optional<Rakp4> parse_rakp4(const Bytes& p);
SessionKeys derive_keys(const Handshake& h);
Bytes rakp4_icv(const Handshake& h, const SessionKeys& keys);
// RMCP+ status codes (IPMI 2.0 table 13-15) in words, e.g. "0x0D unauthorized name".
std::string describe_rakp_status(std::uint8_t status);

// One datagram: RMCP header, IPMI 2.0 session header, payload (encrypted and
// integrity-protected when keys are given), trailer.
Bytes wrap(std::uint8_t payload_type, std::uint32_t session_id, std::uint32_t seq,
           const Bytes& payload, const CipherSuite& suite, const SessionKeys* keys);
struct Packet {
  std::uint8_t payload_type = 0;
  bool encrypted = false, authenticated = false;
  std::uint32_t session_id = 0, seq = 0;
  Bytes payload;  // decrypted
};
// nullopt with *error set when the datagram is not RMCP+, fails integrity or
// does not decrypt.
std::optional<Packet> unwrap(const Bytes& datagram, const CipherSuite& suite,
                             const SessionKeys* keys, std::string* error);

// The IPMI message inside a session (IPMI 2.0 §13.8): addresses, netfn/lun,
// sequence, command, data and the two checksums.
Bytes lan_request(const Request& request, std::uint8_t rq_seq);
struct LanResponse {
  std::uint8_t netfn = 0, cmd = 0, rq_seq = 0;
  Response response;
};
std::optional<LanResponse> parse_lan_response(const Bytes& message);

// Primitives, exposed for the known-answer tests.
Bytes hmac(bool sha256, const Bytes& key, const Bytes& data);
Bytes aes_cbc_encrypt(const Bytes& key16, const Random16& iv, const Bytes& plain_padded);
std::optional<Bytes> aes_cbc_decrypt(const Bytes& key16, const Bytes& iv_and_cipher);

}  // namespace bmcquiet::ipmi::rmcp
