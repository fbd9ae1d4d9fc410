// HTTP basic auth against the web config's bcrypt hashes. bcrypt costs tens
// of milliseconds on purpose; a scraper sends the same credentials every few
// seconds, so a success is remembered (by a SHA-256 of user, password and
// hash, never the password itself) and later scrapes cost one hash lookup.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace bmcquiet {

class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}

  bool enabled() const { return !users_.empty(); }
  // `header` is the Authorization header's value. Thread-safe.
  bool check(std::string_view header);
  // True when check() would answer without running bcrypt (a remembered success).
  bool cached(std::string_view header);

 private:
  struct Credentials {
    std::string user, password;
  };
  static bool decode(std::string_view header, Credentials& out);
  std::string cache_key(const Credentials& c, const std::string& hash) const;

  std::map<std::string, std::string> users_;
  std::mutex mutex_;
  std::set<std::string> verified_;  // cache keys of credentials that passed
};

// bcrypt verification through libxcrypt, compared in constant time.
bool bcrypt_matches(const std::string& password, const std::string& hash);

}  // namespace bmcquiet
