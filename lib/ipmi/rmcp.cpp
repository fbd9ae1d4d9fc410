#include "ipmi/rmcp.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "ipmi/codec.hpp"

namespace bmcquiet::ipmi::rmcp {
namespace {

using codec::le16;
using codec::le32;
using codec::put16;
using codec::put32;

constexpr std::uint8_t kRmcpHeader[4] = {0x06, 0x00, 0xFF, 0x07};  // v1.0, no ack, class IPMI
constexpr std::uint8_t kAuthTypeRmcpPlus = 0x06;
constexpr std::uint8_t kRsAddrBmc = 0x20;
constexpr std::uint8_t kRqAddrSoftware = 0x81;  // remote console software ID 0x40 << 1 | 1

template <class C>
void append(Bytes& b, const C& c) {
  b.insert(b.end(), c.begin(), c.end());
}

Bytes algorithm_record(std::uint8_t type, std::uint8_t algorithm) {
  return {type, 0x00, 0x00, 0x08, algorithm, 0x00, 0x00, 0x00};
}

std::uint8_t checksum(const std::uint8_t* p, std::size_t n) {
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum = std::uint8_t(sum + p[i]);
  return std::uint8_t(-sum);
}

// The user-name tail every RAKP hash ends with: role, length, name.
void append_identity(Bytes& b, const Handshake& h) {
  b.push_back(h.role);
  b.push_back(std::uint8_t(h.user.size()));
  append(b, h.user);
}

Bytes kuid(const Handshake& h) { return Bytes(h.password.begin(), h.password.end()); }

Bytes truncate(Bytes b, std::size_t n) {
  b.resize(std::min(b.size(), n));
  return b;
}

}  // namespace

std::optional<CipherSuite> cipher_suite(int id) {
  if (id == 3) return CipherSuite{3, kAuthHmacSha1, kIntegrityHmacSha1_96, kConfAesCbc128};
  if (id == 17) return CipherSuite{17, kAuthHmacSha256, kIntegrityHmacSha256_128, kConfAesCbc128};
  return std::nullopt;
}

Random16 random16() {
  Random16 r{};
  RAND_bytes(r.data(), int(r.size()));  // the kernel CSPRNG; fails only without /dev/urandom
  return r;
}

Bytes hmac(bool sha256, const Bytes& key, const Bytes& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(sha256 ? EVP_sha256() : EVP_sha1(), key.data(), int(key.size()), data.data(), data.size(),
       out, &len);
  return Bytes(out, out + len);
}

Bytes aes_cbc_encrypt(const Bytes& key16, const Random16& iv, const Bytes& plain) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  Bytes out(plain.size() + 16);
  int n = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, key16.data(), iv.data());
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);  // RMCP+ pads itself (IPMI 2.0 §13.29)
  EVP_EncryptUpdate(ctx.get(), out.data(), &n, plain.data(), int(plain.size()));
  out.resize(std::size_t(n));
  return out;
}

std::optional<Bytes> aes_cbc_decrypt(const Bytes& key16, const Bytes& in) {
  if (in.size() < 32 || in.size() % 16 != 0) return std::nullopt;
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  Bytes out(in.size());
  int n = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, key16.data(), in.data());
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  if (EVP_DecryptUpdate(ctx.get(), out.data(), &n, in.data() + 16, int(in.size() - 16)) != 1)
    return std::nullopt;
  out.resize(std::size_t(n));
  // Confidentiality trailer: pad bytes 1, 2, ... N, then N.
  if (out.empty()) return std::nullopt;
  const std::size_t pad = out.back();
  if (pad + 1 > out.size()) return std::nullopt;
  for (std::size_t i = 0; i < pad; ++i)
    if (out[out.size() - 1 - pad + i] != i + 1) return std::nullopt;
  out.resize(out.size() - pad - 1);
  return out;
}

Bytes open_session_request(std::uint8_t tag, std::uint8_t privilege, std::uint32_t console_sid,
                           const CipherSuite& suite) {
  Bytes b{tag, privilege, 0x00, 0x00};
  put32(b, console_sid);
  append(b, algorithm_record(0x00, suite.auth));
  append(b, algorithm_record(0x01, suite.integrity));
  append(b, algorithm_record(0x02, suite.confidentiality));
  return b;
}

std::optional<OpenSessionResponse> parse_open_session_response(const Bytes& p) {
  if (p.size() < 8) return std::nullopt;
  OpenSessionResponse r;
  r.tag = p[0];
  r.status = p[1];
  r.privilege = p[2];
  r.console_sid = le32(&p[4]);
  if (r.status != 0) return r;  // an error answer stops here
  if (p.size() < 36) return std::nullopt;
  r.bmc_sid = le32(&p[8]);
  r.auth = p[16];
  r.integrity = p[24];
  r.confidentiality = p[32];
  return r;
}

Bytes rakp1(std::uint8_t tag, const Handshake& h) {
  Bytes b{tag, 0x00, 0x00, 0x00};
  put32(b, h.bmc_sid);
  append(b, h.rm);
  b.push_back(h.role);
  b.push_back(0x00);
  b.push_back(0x00);
  b.push_back(std::uint8_t(h.user.size()));
  append(b, h.user);
  return b;
}

std::optional<Rakp2> parse_rakp2(const Bytes& p) {
  if (p.size() < 8) return std::nullopt;
  Rakp2 r;
  r.tag = p[0];
  r.status = p[1];
  r.console_sid = le32(&p[4]);
  if (r.status != 0) return r;
  if (p.size() < 40) return std::nullopt;
  std::copy_n(p.begin() + 8, 16, r.rc.begin());
  std::copy_n(p.begin() + 24, 16, r.guid.begin());
  r.auth_code.assign(p.begin() + 40, p.end());
  return r;
}

Bytes rakp2_auth_code(const Handshake& h) {
  Bytes d;
  put32(d, h.console_sid);
  put32(d, h.bmc_sid);
  append(d, h.rm);
  append(d, h.rc);
  append(d, h.guid);
  append_identity(d, h);
  return hmac(h.suite.sha256(), kuid(h), d);
}

Bytes rakp3(std::uint8_t tag, const Handshake& h) {
  Bytes d;
  append(d, h.rc);
  put32(d, h.console_sid);
  append_identity(d, h);
  Bytes b{tag, 0x00, 0x00, 0x00};
  put32(b, h.bmc_sid);
  append(b, hmac(h.suite.sha256(), kuid(h), d));
  return b;
}

std::optional<Rakp4> parse_rakp4(const Bytes& p) {
  if (p.size() < 8) return std::nullopt;
  Rakp4 r;
  r.tag = p[0];
  r.status = p[1];
  r.console_sid = le32(&p[4]);
  r.icv.assign(p.begin() + 8, p.end());
  return r;
}

SessionKeys derive_keys(const Handshake& h) {
  Bytes d;
  append(d, h.rm);
  append(d, h.rc);
  append_identity(d, h);
  SessionKeys k;
  const bool sha256 = h.suite.sha256();
  k.sik = hmac(sha256, kuid(h), d);
  const std::size_t n = sha256 ? 32 : 20;
  k.k1 = hmac(sha256, k.sik, Bytes(n, 0x01));
  k.k2 = hmac(sha256, k.sik, Bytes(n, 0x02));
  return k;
}

Bytes rakp4_icv(const Handshake& h, const SessionKeys& keys) {
  Bytes d;
  append(d, h.rm);
  put32(d, h.bmc_sid);
  append(d, h.guid);
  return truncate(hmac(h.suite.sha256(), keys.sik, d), h.suite.icv_len());
}

std::string describe_rakp_status(std::uint8_t status) {
  const char* text = "see IPMI 2.0 table 13-15";
  switch (status) {
    case 0x01:
      text = "insufficient resources to create a session";
      break;
    case 0x02:
      text = "invalid session ID";
      break;
    case 0x03:
      text = "invalid payload type";
      break;
    case 0x04:
      text = "invalid authentication algorithm";
      break;
    case 0x05:
      text = "invalid integrity algorithm";
      break;
    case 0x06:
      text = "no matching authentication payload";
      break;
    case 0x07:
      text = "no matching integrity payload";
      break;
    case 0x08:
      text = "inactive session ID";
      break;
    case 0x09:
      text = "invalid role";
      break;
    case 0x0A:
      text = "unauthorized role or privilege level requested";
      break;
    case 0x0B:
      text = "insufficient resources to create a session at the requested role";
      break;
    case 0x0C:
      text = "invalid name length";
      break;
    case 0x0D:
      text = "unauthorized name";
      break;
    case 0x0E:
      text = "unauthorized GUID";
      break;
    case 0x0F:
      text = "invalid integrity check value";
      break;
    case 0x10:
      text = "invalid confidentiality algorithm";
      break;
    case 0x11:
      text = "no cipher suite match with proposed security algorithms";
      break;
    case 0x12:
      text = "illegal or unrecognized parameter";
      break;
  }
  return fmt::format("0x{:02X} {}", status, text);
}

Bytes wrap(std::uint8_t payload_type, std::uint32_t session_id, std::uint32_t seq,
           const Bytes& payload, const CipherSuite& suite, const SessionKeys* keys) {
  Bytes body = payload;
  if (keys) {
    // Confidentiality: IV, then AES-CBC over payload + pad 1..N + N.
    const std::size_t pad = (16 - (payload.size() + 1) % 16) % 16;
    for (std::size_t i = 1; i <= pad; ++i) body.push_back(std::uint8_t(i));
    body.push_back(std::uint8_t(pad));
    const auto iv = random16();
    Bytes key(keys->k2.begin(), keys->k2.begin() + 16);
    auto cipher = aes_cbc_encrypt(key, iv, body);
    body.assign(iv.begin(), iv.end());
    append(body, cipher);
    payload_type |= 0xC0;  // encrypted, authenticated
  }
  Bytes b(kRmcpHeader, kRmcpHeader + 4);
  b.push_back(kAuthTypeRmcpPlus);
  b.push_back(payload_type);
  put32(b, session_id);
  put32(b, seq);
  put16(b, std::uint16_t(body.size()));
  append(b, body);
  if (keys) {
    // Integrity trailer: 0xFF pad to a DWORD boundary counted from the auth
    // type byte, pad length, next header 0x07, then the truncated HMAC.
    const std::size_t covered = b.size() - 4 + 2;
    const std::size_t pad = (4 - covered % 4) % 4;
    b.insert(b.end(), pad, 0xFF);
    b.push_back(std::uint8_t(pad));
    b.push_back(0x07);
    Bytes range(b.begin() + 4, b.end());
    append(b, truncate(hmac(suite.sha256(), keys->k1, range), suite.icv_len()));
  }
  return b;
}

std::optional<Packet> unwrap(const Bytes& d, const CipherSuite& suite, const SessionKeys* keys,
                             std::string* error) {
  auto fail = [&](std::string message) -> std::optional<Packet> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  if (d.size() < 16 || d[0] != 0x06 || d[3] != 0x07 || d[4] != kAuthTypeRmcpPlus)
    return fail("not an RMCP+ (IPMI 2.0) datagram");
  Packet p;
  p.encrypted = d[5] & 0x80;
  p.authenticated = d[5] & 0x40;
  p.payload_type = d[5] & 0x3F;
  p.session_id = le32(&d[6]);
  p.seq = le32(&d[10]);
  const std::size_t len = le16(&d[14]);
  if (16 + len > d.size()) return fail("payload length exceeds the datagram");
  if (p.authenticated) {
    if (!keys) return fail("authenticated packet outside a session");
    const std::size_t icv = suite.icv_len();
    if (d.size() < 16 + len + 2 + icv) return fail("integrity trailer truncated");
    Bytes range(d.begin() + 4, d.end() - std::ptrdiff_t(icv));
    auto want = truncate(hmac(suite.sha256(), keys->k1, range), icv);
    if (CRYPTO_memcmp(want.data(), d.data() + d.size() - icv, icv) != 0)
      return fail("integrity check failed (wrong key or a forged packet)");
  }
  Bytes body(d.begin() + 16, d.begin() + 16 + std::ptrdiff_t(len));
  if (p.encrypted) {
    if (!keys) return fail("encrypted packet outside a session");
    auto plain = aes_cbc_decrypt(Bytes(keys->k2.begin(), keys->k2.begin() + 16), body);
    if (!plain) return fail("payload does not decrypt");
    body = std::move(*plain);
  }
  p.payload = std::move(body);
  return p;
}

Bytes lan_request(const Request& r, std::uint8_t rq_seq) {
  Bytes b{kRsAddrBmc, std::uint8_t(r.netfn << 2), 0};
  b[2] = checksum(b.data(), 2);
  const std::size_t start = b.size();
  b.push_back(kRqAddrSoftware);
  b.push_back(std::uint8_t(rq_seq << 2));
  b.push_back(r.cmd);
  append(b, r.data);
  b.push_back(checksum(b.data() + start, b.size() - start));
  return b;
}

std::optional<LanResponse> parse_lan_response(const Bytes& m) {
  // rqAddr, netFn/rqLUN, chk1, rsAddr, rqSeq/rsLUN, cmd, cc, data..., chk2
  if (m.size() < 8) return std::nullopt;
  if (checksum(m.data(), 2) != m[2]) return std::nullopt;
  if (checksum(m.data() + 3, m.size() - 4) != m.back()) return std::nullopt;
  LanResponse r;
  r.netfn = m[1] >> 2;
  r.rq_seq = m[4] >> 2;
  r.cmd = m[5];
  r.response.cc = m[6];
  r.response.data.assign(m.begin() + 7, m.end() - 1);
  return r;
}

}  // namespace bmcquiet::ipmi::rmcp
