// The exporter-toolkit web config reader and basic auth against bcrypt hashes
// made by htpasswd (apache2-utils), an implementation independent of libxcrypt.
#include <catch2/catch.hpp>

#include "service/basic_auth.hpp"
#include "service/web_config.hpp"

using namespace bmcquiet;

namespace {

// htpasswd -nbBC 4 u "correct horse"
constexpr const char* kHash = "$2y$04$m6Z92Fits1D5wP/Mqyo6Z.tuJTzNjz0sQAvmhV8.TxA1pOwhQmdqK";

std::shared_ptr<ConfigDiagnostics> parse(const std::string& text, WebConfig& out) {
  auto diag = std::make_shared<ConfigDiagnostics>("web.yml");
  out = parse_web_config(text, "/tmp/web.yml", diag);
  return diag;
}

}  // namespace

TEST_CASE("bcrypt hashes from htpasswd verify, in every prefix libxcrypt knows") {
  CHECK(bcrypt_matches("correct horse", kHash));
  CHECK_FALSE(bcrypt_matches("correct hors", kHash));
  CHECK_FALSE(bcrypt_matches("", kHash));
  std::string b = kHash, a = kHash;
  b[2] = 'b';
  a[2] = 'a';
  CHECK(bcrypt_matches("correct horse", b));
  CHECK(bcrypt_matches("correct horse", a));
  CHECK_FALSE(bcrypt_matches("correct horse", "not a hash"));
}

TEST_CASE("basic auth: good, wrong, unknown user, malformed, and a remembered success") {
  BasicAuth auth(std::map<std::string, std::string>{{"bob", kHash}});
  const std::string good = "Basic Ym9iOmNvcnJlY3QgaG9yc2U=";  // bob:correct horse
  CHECK_FALSE(auth.cached(good));
  CHECK(auth.check(good));
  CHECK(auth.cached(good));  // the next scrape skips bcrypt
  CHECK(auth.check(good));
  CHECK(auth.check("basic Ym9iOmNvcnJlY3QgaG9yc2U="));  // the scheme is case-insensitive
  CHECK_FALSE(auth.check("Basic Ym9iOndyb25n"));        // bob:wrong
  CHECK_FALSE(auth.cached("Basic Ym9iOndyb25n"));
  CHECK_FALSE(auth.check("Basic YWxpY2U6Y29ycmVjdCBob3JzZQ=="));  // alice:correct horse
  CHECK_FALSE(auth.check("Basic bm9jb2xvbg=="));                  // no colon
  CHECK_FALSE(auth.check("Basic !!!!"));
  CHECK_FALSE(auth.check("Bearer Ym9iOmNvcnJlY3QgaG9yc2U="));
  CHECK_FALSE(auth.check(""));
}

TEST_CASE("web config: users, headers and TLS versions read; problems carry file:line") {
  WebConfig config;
  auto ok = parse(std::string("basic_auth_users:\n  bob: '") + kHash +
                      "'\nhttp_server_config:\n  http2: true\n  headers:\n"
                      "    X-Frame-Options: deny\n",
                  config);
  INFO(ok->summary());
  CHECK(ok->ok());
  CHECK(config.basic_auth_users.at("bob") == kHash);
  REQUIRE(config.headers.size() == 1);
  CHECK(config.headers[0].first == "X-Frame-Options");
  CHECK_FALSE(config.tls);

  auto bad = parse(
      "tls_server_config:\n  cert_file: missing.pem\n  key_file: missing.key\n"
      "  min_version: TLS14\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"
      "basic_auth_users:\n  eve: hunter2\n"
      "rate_limit: {interval: 1s}\n",
      config);
  const auto text = bad->summary();
  INFO(text);
  CHECK(text.find("web.yml:2:") != std::string::npos);        // cert_file: cannot load
  CHECK(text.find("/tmp/missing.pem") != std::string::npos);  // relative to the file
  CHECK(text.find("web.yml:4:") != std::string::npos);        // min_version
  CHECK(text.find("web.yml:5:") != std::string::npos);        // cipher_suites: refused
  CHECK(text.find("web.yml:7:") != std::string::npos);        // eve: not bcrypt
  CHECK(text.find("web.yml:8:") != std::string::npos);        // rate_limit
  CHECK(text.find("hunter2") == std::string::npos);           // a secret never echoed
}

TEST_CASE("web config: client verification without a client CA is an error") {
  WebConfig config;
  auto diag = parse("tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n", config);
  CHECK(diag->summary().find("needs client_ca_file") != std::string::npos);
  CHECK(diag->summary().find("cert_file") != std::string::npos);
}
