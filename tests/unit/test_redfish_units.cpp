// Redfish pieces without a network: SMBIOS type 42 discovery from binary DMI
// tables, the JSON view, the readers' edge cases and bmc.redfish validation.
#include <catch2/catch.hpp>

#include "core/config_section.hpp"
#include "platform/smbios.hpp"
#include "redfish/client.hpp"
#include "redfish/readers.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace bmcquiet::redfish;

namespace {

// The table goes where the kernel puts it, and is read by the daemon's own path.
HostInterfaceResult host_interface_from(const std::string& fixture_name) {
  test::TempDir dir;
  dir.write("sys/firmware/dmi/tables/DMI", test::fixture("smbios/" + fixture_name));
  return find_redfish_host_interface(dir.path() + "/sys");
}

Json parse(const std::string& text) {
  auto j = Json::parse(text);
  REQUIRE(j);
  return *j;
}

}  // namespace

TEST_CASE("SMBIOS type 42 gives the Redfish Host Interface URL", "[redfish][smbios]") {
  auto v4 = host_interface_from("redfish-ipv4.bin");
  INFO(v4.error);
  REQUIRE(v4.found);
  CHECK(v4.found->url == "https://169.254.95.120:443");
  auto v6 = host_interface_from("redfish-ipv6-port.bin");  // after a non-Redfish record
  REQUIRE(v6.found);
  CHECK(v6.found->url == "https://[fe80::1]:8443");
  auto named = host_interface_from("redfish-dhcp-hostname.bin");
  REQUIRE(named.found);
  CHECK(named.found->url == "https://bmc.example");
  CHECK(named.found->hostname == "bmc.example");
}

TEST_CASE("SMBIOS without a Redfish Host Interface is simply absent", "[redfish][smbios]") {
  for (const char* name : {"no-host-interface.bin", "kcs-only.bin"}) {
    INFO(name);
    auto r = host_interface_from(name);
    CHECK_FALSE(r.found);
    CHECK(r.error.empty());
  }
  test::TempDir dir;  // no DMI table at all (not root, container, VM)
  auto none = find_redfish_host_interface(dir.path() + "/sys");
  CHECK_FALSE(none.found);
  CHECK(none.error.empty());
}

TEST_CASE("malformed SMBIOS tables give a clear error, never a crash", "[redfish][smbios]") {
  struct Case {
    const char* file;
    const char* says;
  } cases[] = {{"truncated-record.bin", "runs past the structure"},
               {"bad-length.bin", "has length 2"},
               {"unterminated-strings.bin", "not terminated"},
               {"redfish-dhcp-nothing.bin", "set bmc.redfish.url"}};
  for (const auto& c : cases) {
    INFO(c.file);
    auto r = host_interface_from(c.file);
    CHECK_FALSE(r.found);
    CHECK(r.error.find(c.says) != std::string::npos);
    CHECK(r.error.find("firmware/dmi/tables/DMI") != std::string::npos);
  }
  // Every prefix of a good table is either fine or an error: no overreads.
  const auto good = test::fixture("smbios/redfish-ipv4.bin");
  for (std::size_t n = 0; n < good.size(); ++n)
    CHECK_NOTHROW(parse_redfish_host_interface(std::string_view(good).substr(0, n), "prefix"));
}

TEST_CASE("the JSON view reads members, elements and nulls", "[redfish]") {
  auto j = parse(R"({"a":{"b":[1,2.5,null]},"s":"x","t":true,"@odata.id":"/redfish/v1/X"})");
  CHECK(j["a"]["b"].size() == 3);
  CHECK(j["a"]["b"][1].number() == 2.5);
  CHECK(j["a"]["b"][2].is_null());
  CHECK_FALSE(j["a"]["b"][2].number());
  CHECK_FALSE(j["missing"]["deeper"].string());
  CHECK(j["s"].string() == "x");
  CHECK(j["t"].boolean() == true);
  CHECK(j.link() == "/redfish/v1/X");
  CHECK(Json::quote("a\"b\\") == R"("a\"b\\")");
  std::string error;
  CHECK_FALSE(Json::parse(R"({"a": )", &error));
  CHECK(error.find("invalid JSON") != std::string::npos);
  CHECK_FALSE(Json::parse(std::string(100, '[') + std::string(100, ']')));  // too deep
}

TEST_CASE("readers: null is unknown, absurd capacities are rejected", "[redfish]") {
  Snapshot s;
  read_legacy_power(parse(R"({"PowerControl":[{"PowerConsumedWatts":null,
                        "PowerLimit":{"LimitInWatts":null}}]})"),
                    "/p", {"1", "server", true}, s);
  CHECK_FALSE(s.power_consumed_watts);
  CHECK(s.power_limit.known);  // reported as "no cap"
  CHECK_FALSE(s.power_limit.watts);

  Snapshot pct;
  read_control(parse(R"({"ControlType":"Power","SetPoint":80,"SetPointUnits":"%",
                         "@odata.id":"/c"})"),
               {"1", "server", true}, pct);
  CHECK(pct.power_limit.ratio == Approx(0.8));
  CHECK_FALSE(pct.power_limit.watts);

  for (const char* cap : {"0", "-5", "4000000000", "1e12"}) {
    auto log =
        read_log_service(parse(std::string(R"({"Id":"Sel","MaxNumberOfRecords":)") + cap + "}"),
                         "/redfish/v1/Managers/1/LogServices/Sel", "manager");
    INFO(cap);
    CHECK_FALSE(log.capacity);
    CHECK(log.capacity_problem.find("not a plausible SEL capacity") != std::string::npos);
  }
  auto ok = read_log_service(parse(R"({"Id":"Sel","MaxNumberOfRecords":1024})"),
                             "/redfish/v1/Managers/1/LogServices/Sel", "manager");
  CHECK(ok.capacity == 1024.0);
  CHECK(ok.id == "manager/Sel");
  CHECK(count_members(parse(R"({"Members":[{},{}]})")) == 2.0);
  CHECK(count_members(parse(R"({"Members@odata.count":509,"Members":[]})")) == 509.0);
}

TEST_CASE("bmc.redfish is validated where it is read", "[redfish]") {
  auto check = [](const std::string& yaml, const std::string& expect) {
    auto diag = std::make_shared<ConfigDiagnostics>("test.yaml");
    auto section = ConfigSection::parse(yaml, diag);
    auto options = read_client_options(section, "/nonexistent");
    section.finish();
    INFO(diag->summary());
    if (expect.empty()) {
      CHECK(diag->ok());
    } else {
      CHECK(diag->summary().find(expect) != std::string::npos);
    }
    return options;
  };
  CHECK_FALSE(check("{}", ""));  // no url, no host interface: Redfish off
  auto good = check("url: https://bmc:443\nusername: admin\nmax_in_flight: 3\n", "");
  REQUIRE(good);
  CHECK(good->max_in_flight == 3);
  check("url: http://bmc\nusername: admin\n", "password in clear");
  check("url: https://bmc\n", "username");
  check("url: https://bmc\nusername: a\npinned_public_key: abc\n", "sha256//");
  check("url: https://bmc\nusername: a\nauth: digest\n", "auth");
  check("url: https://bmc\nusername: a\npassword: hunter2\n", "unknown key");
}
