#include "ipmi/config.hpp"

#include <fmt/format.h>

namespace bmcquiet::ipmi {

using namespace std::chrono_literals;

std::optional<ClientConfig> read_client_config(ConfigSection& s, const Paths& paths) {
  ClientConfig c;
  const auto transport = s.get_enum("transport", "none", {"none", "lanplus", "inband"});
  c.host = s.get_string("host", "");
  c.port = std::uint16_t(s.get_int("port", 623, 1, 65535));
  c.username = s.get_string("username", "");
  c.password_credential = s.get_string("password_credential", c.password_credential);
  c.password_file = s.get_string("password_file", "");
  const auto privilege = s.get_enum("privilege", "admin", {"user", "operator", "admin"});
  c.privilege = privilege == "user"       ? Privilege::user
                : privilege == "operator" ? Privilege::operator_
                                          : Privilege::admin;
  c.cipher_suite = int(s.get_int("cipher_suite", 17, 3, 17));
  c.session_idle = std::chrono::duration_cast<std::chrono::milliseconds>(
      s.get_duration("session_idle", 30s, 1s, 1h));
  c.device = s.get_string("device", "");
  if (c.device.empty()) c.device = paths.devfs + "/ipmi0";
  c.paths = paths;
  c.count_smis = s.get_bool("count_smis", true);
  c.sol_channel = int(s.get_int("sol_channel", -1, -1, 15));
  c.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      s.get_duration("timeout", 2s, 10ms, 60s));
  c.retries = int(s.get_int("retries", 2, 0, 10));
  if (transport == "none") return std::nullopt;
  if (c.cipher_suite != 3 && c.cipher_suite != 17) {
    s.error("cipher_suite",
            "only 3 (HMAC-SHA1, AES-CBC-128) and 17 (HMAC-SHA256, AES-CBC-128) "
            "protect the session; pick one the BMC supports");
    return std::nullopt;
  }
  c.transport = transport == "lanplus" ? TransportKind::lanplus : TransportKind::inband;
  if (c.transport == TransportKind::lanplus && (c.host.empty() || c.username.empty())) {
    s.error(c.host.empty() ? "host" : "username",
            "transport lanplus needs host and username (the password comes from the "
            "systemd credential or password_file)");
    return std::nullopt;
  }
  return c;
}

}  // namespace bmcquiet::ipmi
