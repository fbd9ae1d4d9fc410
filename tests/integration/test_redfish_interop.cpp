// The readers against real BMC captures (../shared/redfish-mockups, served by
// bmcsim): every folder must poll cleanly and give plausible values.
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "redfish/client.hpp"
#include "support/bmcsim.hpp"
#include "support/redfish_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const redfish::Snapshot> poll_folder(const std::string& folder, TempDir& dir) {
  BmcSim sim({folder});
  boost::asio::io_context io;
  redfish::ClientOptions o;
  o.url = sim.url();
  o.username = "admin";
  o.password_credential = "";
  o.password_file = dir.write("password", "secret");
  ::chmod(o.password_file.c_str(), 0600);
  o.insecure = true;
  o.max_response_bytes = 16 * 1024 * 1024;
  auto client = redfish::Client::create(io, o, nullptr);
  std::shared_ptr<const redfish::Snapshot> snap;
  // The second poll runs on the cached discovery; log counts run apart from
  // the polls, so a later poll carries them.
  auto counted = [](const redfish::Snapshot& s) {
    for (const auto& l : s.logs)
      if (!l.entries) return false;
    return true;
  };
  for (int i = 0; i < 2 || (i < 12 && !counted(*snap)); ++i) {
    if (i >= 2) std::this_thread::sleep_for(250ms);
    snap.reset();
    client->poll([&](auto s) { snap = s; });
    io.restart();  // run_one_for stops the context whenever it runs out of work
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (!snap && std::chrono::steady_clock::now() < until) io.run_one_for(100ms);
    if (!snap) WARN("bmcsim's last requests: " << sim.control("GET", "/recent"));
    REQUIRE(snap);
  }
  return snap;
}

const redfish::LogFill* log_with(const redfish::Snapshot& s, const std::string& id) {
  for (const auto& l : s.logs)
    if (l.id == id) return &l;
  return nullptr;
}

}  // namespace

TEST_CASE("Redfish interop: every captured BMC in ../shared/redfish-mockups",
          "[redfish][interop]") {
  const auto mockups = shared_mockups();
  if (!mockups) return;
  const auto& root = *mockups;
  TempDir dir;
  int folders = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (!std::filesystem::is_directory(entry.path() / "redfish" / "v1")) continue;
    ++folders;
    const auto name = entry.path().filename().string();
    INFO(name);
    auto s = poll_folder(entry.path().string(), dir);
    INFO(s->error);
    CHECK(s->up);
    CHECK(s->firmware);
    for (const auto& t : s->temperatures) {
      INFO(t.name);
      CHECK(t.value > -40);
      CHECK(t.value < 150);
    }
    for (const auto& f : s->fans) {
      if (f.rpm) CHECK(*f.rpm >= 0);
      if (f.rpm) CHECK(*f.rpm < 40000);
      if (f.ratio) CHECK(*f.ratio >= 0);
      if (f.ratio) CHECK(*f.ratio <= 1.0);
    }
    if (s->power_consumed_watts) CHECK(*s->power_consumed_watts >= 0);
    if (s->power_consumed_watts) CHECK(*s->power_consumed_watts < 50000);
    for (const auto& l : s->logs)
      if (l.entries && l.capacity) CHECK(*l.entries <= *l.capacity);
    if (name == "supermicro") {
      // The nearly full 509/512 log is the Manager's "Maintenance Event Log"
      // (LogEntryType OEM), not the SEL: it must not page "SEL nearly full".
      // The SEL is the System's "Health Event Log" (LogEntryType SEL).
      const auto* maintenance = log_with(*s, "manager/Log1");
      const auto* sel = log_with(*s, "system/Log1");
      REQUIRE(maintenance);
      REQUIRE(sel);
      CHECK(maintenance->kind != "sel");
      CHECK(maintenance->entries == 509.0);
      CHECK(maintenance->capacity == 512.0);
      CHECK(sel->kind == "sel");
      CHECK(sel->entries == 82.0);
      CHECK(sel->capacity == 4096.0);
      CHECK(s->vendor == "Supermicro");
    }
    if (name == "dell-idrac9") {
      CHECK(s->vendor == "Dell");  // ServiceRoot.Vendor: the Manager does not say
      CHECK(s->power_limit.known);
      CHECK_FALSE(s->temperatures.empty());
      // DellAttributes decide: ServerPwr.1.PowerCapSetting Disabled although
      // LimitInWatts shows 1205; SOL and serial redirection Enabled although
      // Manager.SerialConsole is empty.
      CHECK(s->vendor_profile == "dell");
      CHECK_FALSE(s->power_limit.watts);
      CHECK(s->power_limit.inactive_watts == 1205.0);
      CHECK(s->ipmi_sol_enabled == true);
      CHECK(s->serial_console_enabled == true);
      CHECK_FALSE(s->disagreements.empty());
    }
    if (name == "dmtf-public-rackmount1") {
      CHECK(s->data_model == "subsystem");
      CHECK_FALSE(s->fans.empty());
    }
    if (name.starts_with("hpe")) {
      CHECK(s->data_model == "legacy");
      CHECK_FALSE(s->temperatures.empty());
    }
  }
  CHECK(folders >= 1);
}
