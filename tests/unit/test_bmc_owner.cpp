// The BMC owner without a BMC: what makes a reload keep or replace the
// clients, and that reading a config builds none (--check-config).
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "bmc/bmc.hpp"
#include "core/config_section.hpp"
#include "metrics/metrics.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;

namespace {

std::string canonical_bmc(const std::string& text) {
  auto root = ConfigSection::parse(text, std::make_shared<ConfigDiagnostics>("t.yaml"));
  return root.section("bmc").canonical();
}

struct Rig {
  test::TempDir dir;
  boost::asio::io_context io;
  Metrics metrics;
  std::string password = dir.write("password", "secret");

  Rig() { ::chmod(password.c_str(), 0600); }

  std::string section(const std::string& extra = "") const {
    return "bmc:\n  redfish:\n    url: https://bmc.example\n    host_interface: false\n"
           "    username: admin\n    password_credential: \"\"\n    password_file: " +
           password + "\n" + extra;
  }
  std::shared_ptr<bmc::Bmc> owner(const std::string& text) {
    auto diag = std::make_shared<ConfigDiagnostics>("t.yaml");
    auto root = ConfigSection::parse(text, diag);
    auto section = root.section("bmc");
    auto built = bmc::Bmc::from_config(section, io, metrics, {});
    INFO(diag->summary());
    REQUIRE(diag->ok());
    return built;
  }
  // What a reload does: the new owner may take the running one's clients.
  std::shared_ptr<bmc::Bmc> reload(const std::shared_ptr<bmc::Bmc>& running,
                                   const std::string& text) {
    auto next = owner(text);
    next->inherit_from(running);
    next->borrow();
    return next;
  }
};

}  // namespace

TEST_CASE("canonical sections ignore layout, comments and key order, not values", "[bmc]") {
  const auto a = canonical_bmc("bmc:\n  redfish: {url: x, username: a}\n  ipmi: {port: 623}\n");
  CHECK(a == canonical_bmc("# c\nbmc:\n  ipmi:\n    port: 623\n  redfish:\n    username: a\n"
                           "    url: x   # same\n"));
  CHECK(a != canonical_bmc("bmc:\n  redfish: {url: x, username: b}\n  ipmi: {port: 623}\n"));
  CHECK(a != canonical_bmc("bmc:\n  redfish: {url: x, username: a}\n"));
  // A value cannot pass for structure.
  CHECK(canonical_bmc("bmc: {a: 'b,c:d'}\n") != canonical_bmc("bmc: {a: b, c: d}\n"));
}

TEST_CASE("reading bmc: builds no client until a consumer borrows it", "[bmc]") {
  Rig rig;
  auto owner = rig.owner(rig.section());
  CHECK(owner->has_redfish());
  CHECK_FALSE(owner->has_ipmi());
  CHECK_FALSE(owner->redfish());
  CHECK(rig.metrics.serialize().find("bmcquiet_redfish_client_info") == std::string::npos);
  owner->borrow();
  REQUIRE(owner->redfish());
  CHECK(rig.metrics.serialize().find("bmcquiet_redfish_client_info") != std::string::npos);
  CHECK_FALSE(owner->metrics_owner().empty());
  // Never contacted: unknown, so no bmc_up at all (0 would page at every start).
  owner->refresh_health();
  CHECK(rig.metrics.serialize().find("bmcquiet_bmc_up") == std::string::npos);
}

TEST_CASE("a reload keeps the clients only for the same section and password", "[bmc]") {
  Rig rig;
  auto first = rig.owner(rig.section());
  first->borrow();
  const auto client = first->redfish();
  const auto owner_name = first->metrics_owner();

  auto same = rig.reload(first, "# reloaded\n" + rig.section());
  CHECK(same->redfish() == client);
  CHECK(same->metrics_owner() == owner_name);
  CHECK_FALSE(first->redfish());  // nothing left for its shutdown to end
  CHECK(first->metrics_owner().empty());

  auto changed = rig.reload(same, rig.section("    request_timeout: 5s\n"));
  CHECK(changed->redfish() != client);
  CHECK(changed->metrics_owner() != owner_name);
  CHECK(same->redfish() == client);  // left to be shut down by its holder

  rig.dir.write("password", "another secret");
  auto new_password = rig.reload(changed, rig.section("    request_timeout: 5s\n"));
  CHECK(new_password->redfish() != changed->redfish());
  CHECK(changed->redfish());
}

TEST_CASE("an owner nobody borrowed takes nothing over", "[bmc]") {
  Rig rig;
  auto running = rig.owner(rig.section());
  running->borrow();
  auto next = rig.owner(rig.section());
  next->inherit_from(running);
  next->inherit_from(nullptr);  // no consumer started in the new plan
  CHECK_FALSE(next->redfish());
  CHECK(running->redfish());  // still there for the daemon to shut down
}
