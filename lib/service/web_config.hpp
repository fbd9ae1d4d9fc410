// The exporter-toolkit web configuration file (--web.config.file,
// exporter.web_config_file): TLS, basic auth and extra response headers for
// /metrics, in the format every Prometheus exporter reads. It is read, and the
// certificates loaded, when the daemon starts and on each reload (SIGHUP or
// `bmcquietctl reload`), never per connection: a bad file or certificate
// fails the reload and the running settings stay.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/config_section.hpp"

struct ssl_ctx_st;

namespace bmcquiet {

struct WebConfig {
  std::string file;  // empty: plain HTTP, no authentication
  // A ready OpenSSL server context (certificates, client CA, versions); null
  // when the file has no tls_server_config.
  std::shared_ptr<ssl_ctx_st> tls;
  std::map<std::string, std::string> basic_auth_users;  // user → bcrypt hash
  std::vector<std::pair<std::string, std::string>> headers;
};

// Reads and checks the file; problems go to diag with file:line:column. The
// result is meaningful only when diag stayed clean.
WebConfig load_web_config(const std::string& file, std::shared_ptr<ConfigDiagnostics> diag);
// Same, from text (tests); `file` names it in messages and anchors relative paths.
WebConfig parse_web_config(std::string_view text, const std::string& file,
                           std::shared_ptr<ConfigDiagnostics> diag);

}  // namespace bmcquiet
