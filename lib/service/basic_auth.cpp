#include "service/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>

namespace bmcquiet {
namespace {

// A valid hash of no known password: an unknown user costs the same bcrypt
// as a known one, so timing does not tell which users exist.
constexpr const char* kDummyHash = "$2y$10$RWRx.QdYLwuPC62yhH7Q/O7/vXFi3ukx2/4pNjuCKWNLWZYZpacfu";

// So a successful set of credentials is not cached forever without bound.
constexpr std::size_t kMaxCached = 1024;

}  // namespace

bool bcrypt_matches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  // libxcrypt returns a string starting with '*' on failure, never null with crypt_r.
  if (!out || out[0] == '*') return false;
  const std::string_view computed(out);
  const bool same_length = computed.size() == hash.size();
  const bool same = same_length && CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return same;
}

bool BasicAuth::decode(std::string_view header, Credentials& out) {
  constexpr std::string_view kScheme = "Basic ";
  if (header.size() <= kScheme.size() || header.size() > 4096) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i])))
      return false;
  auto encoded = header.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  if (encoded.empty() || encoded.size() % 4 != 0) return false;
  std::string decoded(encoded.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                reinterpret_cast<const unsigned char*>(encoded.data()),
                                static_cast<int>(encoded.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the padding's zero bytes in.
  std::size_t len = static_cast<std::size_t>(n);
  for (auto it = encoded.rbegin(); it != encoded.rend() && *it == '=' && len > 0; ++it) --len;
  decoded.resize(len);
  auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  out.user = decoded.substr(0, colon);
  out.password = decoded.substr(colon + 1);
  OPENSSL_cleanse(decoded.data(), decoded.size());
  return true;
}

std::string BasicAuth::cache_key(const Credentials& c, const std::string& hash) const {
  std::string material = c.user + '\0' + c.password + '\0' + hash;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), digest);
  OPENSSL_cleanse(material.data(), material.size());
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

bool BasicAuth::cached(std::string_view header) {
  Credentials c;
  if (!decode(header, c)) return true;  // refused without bcrypt
  auto user = users_.find(c.user);
  if (user == users_.end()) return false;
  std::lock_guard lock(mutex_);
  return verified_.count(cache_key(c, user->second)) > 0;
}

bool BasicAuth::check(std::string_view header) {
  Credentials c;
  if (!decode(header, c)) return false;
  auto user = users_.find(c.user);
  const std::string& hash = user == users_.end() ? std::string(kDummyHash) : user->second;
  auto key = cache_key(c, hash);
  {
    std::lock_guard lock(mutex_);
    if (user != users_.end() && verified_.count(key)) return true;
  }
  const bool ok = bcrypt_matches(c.password, hash) && user != users_.end();
  OPENSSL_cleanse(c.password.data(), c.password.size());
  if (ok) {
    std::lock_guard lock(mutex_);
    if (verified_.size() >= kMaxCached) verified_.clear();
    verified_.insert(key);
  }
  return ok;
}

}  // namespace bmcquiet
