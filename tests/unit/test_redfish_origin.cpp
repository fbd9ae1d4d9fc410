// The origin lock without a network: which links become a path on the
// configured BMC and which are refused (tests/integration/test_redfish_origin
// proves a refused link never opens a connection).
#include <catch2/catch.hpp>

#include "redfish/origin.hpp"

using namespace bmcquiet::redfish;

namespace {

Origin origin_of(const std::string& url) {
  auto parsed = parse_origin(url);
  INFO(parsed.error);
  REQUIRE(parsed.origin);
  return *parsed.origin;
}

}  // namespace

TEST_CASE("Origin: the configured URL gives scheme, host and a normalised port",
          "[redfish][origin]") {
  auto o = origin_of("https://BMC.example.com/");
  CHECK(o.scheme == "https");
  CHECK(o.host == "bmc.example.com");
  CHECK(o.port == 443);
  CHECK(o.base == "https://BMC.example.com");
  CHECK(o.text() == "https://bmc.example.com:443");
  CHECK(origin_of("http://10.0.0.1").port == 80);
  CHECK(origin_of("http://10.0.0.1:").port == 80);
  CHECK(origin_of("https://[fe80::1]:8443").host == "[fe80::1]");
  CHECK(origin_of("https://[fe80::1]:8443").port == 8443);
  CHECK(origin_of("HTTPS://bmc:443").scheme == "https");
}

TEST_CASE("Origin: a configured URL that is not http(s)://HOST[:PORT] is refused clearly",
          "[redfish][origin]") {
  const std::pair<const char*, const char*> bad[] = {
      {"ftp://bmc", "not an http(s) URL"},
      {"bmc.example.com", "not an http(s) URL"},
      {"https://bmc/redfish/v1", "has a path"},
      {"https://bmc?x=1", "has a path"},
      {"https://admin:hunter22@bmc", "user information"},
      {"https://", "no host"},
      {"https://bmc:99999", "outside 1-65535"},
      {"https://bmc:44a", "not a number"},
      {"https://[fe80::1", "closing ']'"},
      {"https://bm c", "space"},
  };
  for (const auto& [url, why] : bad) {
    INFO(url);
    auto parsed = parse_origin(url);
    CHECK_FALSE(parsed.origin);
    CHECK(parsed.error.find(why) != std::string::npos);
    CHECK(parsed.error.find("write https://HOST[:PORT]") != std::string::npos);
    CHECK(parsed.error.find("hunter22") == std::string::npos);
  }
}

TEST_CASE("Origin: links on the configured BMC become paths", "[redfish][origin]") {
  const auto o = origin_of("https://bmc.example.com");
  const std::pair<const char*, const char*> good[] = {
      {"/redfish/v1", "/redfish/v1"},
      {"/", "/"},
      {"/redfish/v1/Chassis/1/Power#/PowerControl/0",
       "/redfish/v1/Chassis/1/Power#/PowerControl/0"},
      {"/redfish/v1/Sensors?$expand=.($levels=1)", "/redfish/v1/Sensors?$expand=.($levels=1)"},
      {"/redfish/v1/a@b", "/redfish/v1/a@b"},  // "@" after the first "/" is path, not userinfo
      {"https://bmc.example.com/redfish/v1/Systems/1", "/redfish/v1/Systems/1"},
      {"HTTPS://BMC.Example.COM:443/redfish/v1/x", "/redfish/v1/x"},
      {"https://bmc.example.com:/redfish/v1/x", "/redfish/v1/x"},
      {"https://bmc.example.com", "/"},
      {"https://bmc.example.com?$top=1", "/?$top=1"},
  };
  for (const auto& [link, path] : good) {
    INFO(link);
    auto c = confine_to_origin(o, link);
    CHECK(c.error == "");
    CHECK(c.path == path);
  }
}

TEST_CASE("Origin: links elsewhere or that could change the authority are refused",
          "[redfish][origin]") {
  const auto o = origin_of("https://bmc.example.com:443");
  const std::pair<const char*, const char*> bad[] = {
      {"http://10.0.0.9/redfish/v1/x", "not the configured BMC origin https://bmc.example.com:443"},
      {"http://bmc.example.com/redfish/v1", "not the configured BMC origin"},  // downgrade
      {"http://bmc.example.com:443/redfish/v1", "not the configured BMC origin"},
      {"https://bmc.example.com:8443/redfish/v1", "not the configured BMC origin"},
      {"https://bmc.example.com.evil/redfish/v1", "not the configured BMC origin"},
      {"https://127.0.0.1/redfish/v1", "not the configured BMC origin"},
      {"https://admin:pw@bmc.example.com/redfish/v1", "user information"},
      {"https://bmc.example.com@evil/redfish/v1", "user information"},
      {"ftp://bmc.example.com/redfish/v1", "not the configured BMC origin"},
      {"file:///etc/shadow", "not the configured BMC origin"},
      {"//evil.example/redfish/v1", "names another host"},
      {"@evil.example/redfish/v1", "neither an absolute path"},
      {"redfish/v1/Systems", "neither an absolute path"},
      {"", "neither an absolute path"},
      {":8080/x", "neither an absolute path"},
      {"\\\\evil\\x", "neither an absolute path"},
      {"/\\evil.example/x", "backslash"},
      {"/redfish/v1\r\nX-Injected: 1", "control character"},
      {"/redfish/v1\nHost: evil", "control character"},
      {"/redfish/v1 HTTP/1.1", "space"},
      {"/redfish/\x7f", "control character"},
      {"https://bmc.example.com/a\r\nb", "control character"},
  };
  for (const auto& [link, why] : bad) {
    INFO(link);
    auto c = confine_to_origin(o, link);
    CHECK_FALSE(c.ok());
    CHECK(c.path.empty());
    CHECK(c.error.starts_with("refused link "));
    CHECK(c.error.find(why) != std::string::npos);
    CHECK(c.error.find('\r') == std::string::npos);
    CHECK(c.error.find('\n') == std::string::npos);
    CHECK(c.error.find(":pw@") == std::string::npos);
  }
}

TEST_CASE("Origin: the refusal names the link the way an operator can act on it",
          "[redfish][origin]") {
  const auto o = origin_of("https://bmc:443");
  auto c = confine_to_origin(o, "http://10.0.0.9/redfish/v1/x");
  CHECK(c.error ==
        "refused link http://10.0.0.9/redfish/v1/x: not the configured BMC origin https://bmc:443 "
        "(a BMC-supplied @odata.id or action target pointing elsewhere is never fetched)");
  CHECK(printable_link("https://u:secret@h/x") == "https://***@h/x");
  CHECK(printable_link("/a\r\n\xff") == "/a\\x0d\\x0a\\xff");
  CHECK(printable_link(std::string(500, 'a')).size() == 203);
}
