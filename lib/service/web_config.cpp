#include "service/web_config.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <filesystem>

#include <fmt/format.h>

#include "core/files.hpp"

namespace bmcquiet {
namespace {

// Like the toolkit's: a web config is a few lines; anything larger is a mistake.
constexpr std::size_t kMaxWebConfigBytes = 1024 * 1024;

struct Version {
  std::string_view name;
  int value;
};
constexpr std::array<Version, 4> kVersions{{{"TLS10", TLS1_VERSION},
                                            {"TLS11", TLS1_1_VERSION},
                                            {"TLS12", TLS1_2_VERSION},
                                            {"TLS13", TLS1_3_VERSION}}};

struct ClientAuth {
  std::string_view name;
  int mode;
  bool verify;  // chain checked against client_ca_file
};
constexpr std::array<ClientAuth, 5> kClientAuth{{
    {"NoClientCert", SSL_VERIFY_NONE, false},
    {"RequestClientCert", SSL_VERIFY_PEER, false},
    {"RequireAnyClientCert", SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, false},
    {"VerifyClientCertIfGiven", SSL_VERIFY_PEER, true},
    {"RequireAndVerifyClientCert", SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, true},
}};

// The headers the toolkit allows, with the values it accepts (empty: any).
struct AllowedHeader {
  std::string_view name;
  std::vector<std::string_view> values;
};
const std::vector<AllowedHeader>& allowed_headers() {
  static const std::vector<AllowedHeader> headers{
      {"Content-Security-Policy", {}},         {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-Content-Type-Options", {"nosniff"}}, {"X-XSS-Protection", {}},
      {"Strict-Transport-Security", {}},
  };
  return headers;
}

std::string openssl_error() {
  char buf[256] = "unknown OpenSSL error";
  if (auto code = ERR_get_error()) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// Relative paths are read from the web config file's directory, as the toolkit does.
std::string resolve(const std::string& file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(file).parent_path() / path).string();
}

// Accepts any certificate the client shows (the *AnyClientCert modes).
int accept_any(int, X509_STORE_CTX*) { return 1; }

int read_version(ConfigSection& tls, std::string_view key, std::string_view fallback) {
  auto name = tls.get_enum(key, std::string(fallback), {"TLS10", "TLS11", "TLS12", "TLS13"});
  for (const auto& v : kVersions)
    if (v.name == name) return v.value;
  return TLS1_2_VERSION;
}

void refuse_unsupported(ConfigSection& tls, std::string_view key, std::string_view why) {
  if (tls.has(key)) tls.error(key, fmt::format("not supported by bmcquietd: {}; remove it", why));
}

bool load_certificate(ConfigSection& tls, SSL_CTX* ctx, const std::string& file) {
  auto cert = tls.get_optional_string("cert_file");
  auto key = tls.get_optional_string("key_file");
  if (!cert || !key) {
    tls.error(cert ? "key_file" : "cert_file",
              "tls_server_config needs both cert_file and key_file (PEM files)");
    return false;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, resolve(file, *cert).c_str()) != 1) {
    tls.error("cert_file", fmt::format("cannot load the certificate {}: {}", resolve(file, *cert),
                                       openssl_error()));
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, resolve(file, *key).c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    tls.error("key_file",
              fmt::format("cannot load the private key {} (readable by the daemon's user, "
                          "matching cert_file?): {}",
                          resolve(file, *key), openssl_error()));
    return false;
  }
  return true;
}

void load_client_auth(ConfigSection& tls, SSL_CTX* ctx, const std::string& file) {
  auto type = tls.get_enum("client_auth_type", "NoClientCert",
                           {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                            "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"});
  auto ca = tls.get_optional_string("client_ca_file");
  const auto* auth = &kClientAuth[0];
  for (const auto& a : kClientAuth)
    if (a.name == type) auth = &a;
  if (auth->verify && !ca) {
    tls.error("client_auth_type", fmt::format("{} needs client_ca_file", type));
    return;
  }
  if (ca) {
    const auto path = resolve(file, *ca);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(path.c_str());
    if (!names || SSL_CTX_load_verify_locations(ctx, path.c_str(), nullptr) != 1) {
      if (names) sk_X509_NAME_pop_free(names, X509_NAME_free);
      tls.error("client_ca_file",
                fmt::format("cannot load the client CA {}: {}", path, openssl_error()));
      return;
    }
    SSL_CTX_set_client_CA_list(ctx, names);
  }
  SSL_CTX_set_verify(ctx, auth->mode, auth->verify ? nullptr : accept_any);
}

std::shared_ptr<ssl_ctx_st> read_tls(ConfigSection& tls, const std::string& file) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  const int min = read_version(tls, "min_version", "TLS12");
  const int max = read_version(tls, "max_version", "TLS13");
  if (min > max) tls.error("max_version", "max_version is below min_version");
  SSL_CTX_set_min_proto_version(ctx.get(), min);
  SSL_CTX_set_max_proto_version(ctx.get(), max);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (tls.get_bool("prefer_server_cipher_suites", true))
    SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  load_certificate(tls, ctx.get(), file);
  load_client_auth(tls, ctx.get(), file);
  refuse_unsupported(tls, "cert", "inline PEM; use cert_file");
  refuse_unsupported(tls, "key", "inline PEM; use key_file");
  refuse_unsupported(tls, "client_ca", "inline PEM; use client_ca_file");
  refuse_unsupported(tls, "cipher_suites", "OpenSSL's default cipher suites apply");
  refuse_unsupported(tls, "curve_preferences", "OpenSSL's default curves apply");
  refuse_unsupported(tls, "client_allowed_sans", "restrict clients with client_ca_file");
  tls.finish();
  return ctx;
}

void read_users(ConfigSection users, WebConfig& config) {
  for (const auto& user : users.keys()) {
    auto hash = users.get_string(user, "");
    // bcrypt: $2a$/$2b$/$2y$, two-digit cost, 53 characters of salt and hash.
    const bool bcrypt = hash.size() == 60 && hash[0] == '$' && hash[1] == '2' &&
                        (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$';
    if (!bcrypt || user.find(':') != std::string::npos) {
      users.error(user,
                  "not a user with a bcrypt hash ($2y$10$…, 60 characters; generate one "
                  "with `htpasswd -nBC 10 \"\" | tr -d ':\\n'`)");
      continue;
    }
    config.basic_auth_users[user] = hash;
  }
  users.finish();
}

void read_http(ConfigSection http, WebConfig& config) {
  http.get_bool("http2", true);  // accepted for compatibility: HTTP/1.1 is all bmcquietd speaks
  auto headers = http.section("headers");
  for (const auto& h : allowed_headers()) {
    auto value = headers.get_string(h.name, "");
    if (value.empty()) continue;
    if (!h.values.empty() &&
        std::find(h.values.begin(), h.values.end(), std::string_view(value)) == h.values.end()) {
      headers.error(h.name, fmt::format("'{}' is not one of {}", value, fmt::join(h.values, ", ")));
      continue;
    }
    config.headers.emplace_back(h.name, value);
  }
  headers.finish();
  http.finish();
}

}  // namespace

WebConfig parse_web_config(std::string_view text, const std::string& file,
                           std::shared_ptr<ConfigDiagnostics> diag) {
  WebConfig config;
  config.file = file;
  auto root = ConfigSection::parse(text, diag);
  if (root.has("tls_server_config")) {
    auto tls = root.section("tls_server_config");
    config.tls = read_tls(tls, file);
  }
  read_users(root.section("basic_auth_users"), config);
  read_http(root.section("http_server_config"), config);
  refuse_unsupported(root, "rate_limit", "a scrape costs little; limit clients with a firewall");
  root.finish();
  return config;
}

WebConfig load_web_config(const std::string& file, std::shared_ptr<ConfigDiagnostics> diag) {
  auto read = read_regular_file(file, kMaxWebConfigBytes);
  if (!read.text) {
    diag->add(0, 0, "", fmt::format("cannot read the web config file: {}", read.error));
    return {};
  }
  return parse_web_config(*read.text, file, std::move(diag));
}

}  // namespace bmcquiet
