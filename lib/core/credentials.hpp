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

// systemd's credential stores, searched by LoadCredential=NAME (no path).
inline constexpr const char* kCredentialStores[] = {"/etc/credstore", "/run/credstore",
                                                    "/usr/lib/credstore"};

// For --check-config, run by hand outside the unit: the problem with the
// secret the daemon would get (what, which path, the fix), or "" when it is
// there. Looks where the unit's LoadCredential= looks (the stores above, or
// their .encrypted twins for LoadCredentialEncrypted=, whose content only
// systemd can check), then at `file`. Under systemd ($CREDENTIALS_DIRECTORY)
// it checks what the daemon itself would load.
std::string check_secret(const std::string& credential, const std::string& file);

}  // namespace bmcquiet
