// Secrets (BMC passwords) from systemd credentials or a private file.
//
// Never from the config file, never into logs, metrics or error messages:
// errors name the credential or the file, never what was in it.
#pragma once

#include <optional>
#include <string>

namespace bmcquiet {

// A secret that does not print itself.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

struct SecretResult {
  std::optional<Secret> secret;
  std::string error;  // what and what to do, without the secret
};

// Loads `credential` from $CREDENTIALS_DIRECTORY (systemd LoadCredential=) when
// that is set and holds it; otherwise `file`, which must be a regular file not
// readable or writable by group or others. One trailing newline is dropped.
SecretResult load_secret(const std::string& credential, const std::string& file);

}  // namespace bmcquiet
