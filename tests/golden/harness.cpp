// One golden case, end to end, through nothing but the daemon's binary and
// its /metrics:
//  1. Start the case's peer (bmcsim or ipmi_sim) and write its fake kernel
//     files under a temp root.
//  2. Compose the config: a paths: block pointing /proc, /sys, /dev and the
//     state dir into the root, then tests/golden/<collector>/<fixture>.yaml
//     with @ROOT@, @BMC_URL@, @PASSWORD_FILE@, @IPMI_PORT@, @IPMI_USER@ and
//     @IPMI_PASSWORD_FILE@ filled in, and every other collector named in
//     config/bmcquiet.yaml switched off (enabled: false, after `collectors:`).
//  3. Run build/daemon/bmcquietd on 127.0.0.1:0, read the URL from READY=1.
//  4. Scrape until the output has settled: two consecutive completed runs of
//     the collector (its last-success timestamp or error count moved) give
//     the same normalised text (normalise.cpp). A case's `change` is applied
//     once the first run is done, so counters show what moved after it. A
//     value that keeps changing fails here with the lines that moved, never
//     silently.
//  5. Compare with tests/golden/<collector>/<fixture>.prom: on a difference
//     print a unified diff and how to accept it; with BMCQUIET_UPDATE_GOLDEN
//     set, rewrite the file instead.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "golden/golden.hpp"
#include "support/bmcsim.hpp"
#include "support/ipmi_sim.hpp"

namespace bmcquiet::test::golden {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kSettleLimit = 20s;

std::string golden_dir() { return BMCQUIET_GOLDEN_DIR; }
std::string family_dir(const Case& c) { return *c.collector ? c.collector : "exporter"; }
std::string case_name(const Case& c) { return family_dir(c) + "/" + c.fixture; }

// The collectors config/bmcquiet.yaml documents (its `collectors:` keys).
std::vector<std::string> documented_collectors() {
  std::istringstream in(read_file(std::string(BMCQUIET_SOURCE_DIR) + "/config/bmcquiet.yaml"));
  static const std::regex key("  ([a-z_0-9]+):");
  std::vector<std::string> names;
  bool inside = false;
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != ' ' && line[0] != '#') inside = line == "collectors:";
    if (inside && std::regex_match(line, m, key)) names.push_back(m[1]);
  }
  return names;
}

std::string others_off(const std::string& collector) {
  std::string out;
  for (const auto& name : documented_collectors())
    if (name != collector) out += "  " + name + ":\n    enabled: false\n";
  return out;
}

std::string compose_config(const Case& c, const TempDir& root,
                           const std::map<std::string, std::string>& fill) {
  const auto& r = root.path();
  std::string body = "\n" + read_file(golden_dir() + "/" + case_name(c) + ".yaml");
  for (const auto& [key, value] : fill)
    for (auto at = body.find(key); at != std::string::npos; at = body.find(key, at + value.size()))
      body.replace(at, key.size(), value);
  const auto collectors = body.find("\ncollectors:\n");
  if (collectors == std::string::npos)
    body += "collectors:\n" + others_off(c.collector);
  else
    body.insert(collectors + 13, others_off(c.collector));
  return "paths:\n  procfs: " + r + "/proc\n  sysfs: " + r + "/sys\n  devfs: " + r +
         "/dev\n  state: " + r + "/state\n" + body;
}

// The collector's run count as the scrape shows it: changes when a run ends;
// empty before the first run has ended (collector_up appears then, while the
// error counter is there from the start).
std::string run_marker(const std::string& scrape, const std::string& collector) {
  const auto label = "{collector=\"" + collector + "\"}";
  if (!sample_value(scrape, "bmcquiet_collector_up" + label)) return {};
  std::string marker;
  for (const char* name :
       {"bmcquiet_collector_last_success_timestamp_seconds", "bmcquiet_collector_errors_total"})
    if (auto v = sample_value(scrape, name + label)) marker += std::to_string(*v) + " ";
  return marker;
}

// `diff -u` of two texts (diffutils, in every Debian), labelled as given.
std::string unified_diff(const std::string& from_label, const std::string& from,
                         const std::string& to_label, const std::string& to,
                         const TempDir& scratch) {
  const auto a = scratch.write("diff/a", from), b = scratch.write("diff/b", to);
  return run_command("diff -u --label '" + from_label + "' --label '" + to_label + "' " + a + " " +
                     b)
      .output;
}

struct Daemon {
  std::unique_ptr<Process> process;
  std::string url, log;
};

Daemon start_daemon(const std::string& config, const TempDir& root) {
  Daemon d;
  d.log = root.path() + "/bmcquietd.log";
  NotifySocket notify(root.path());
  d.process = std::make_unique<Process>(
      std::vector<std::string>{"sh", "-c", "exec \"$0\" \"$@\" >>" + d.log + " 2>&1",
                               built_binary("daemon/bmcquietd"), "--config", config, "--listen",
                               "127.0.0.1:0"},
      std::map<std::string, std::string>{{"NOTIFY_SOCKET", notify.path()}});
  auto ready = notify.wait_for("READY=1", 10s);
  INFO(read_file(d.log));
  REQUIRE(ready);
  const auto start = ready->find("http://");
  REQUIRE(start != std::string::npos);
  d.url = ready->substr(start, ready->find("/metrics", start) + 8 - start);
  return d;
}

// Scrapes until two consecutive runs normalise alike; the settled scrape.
std::string settled(const Case& c, const Daemon& d, const Normalisation& how, const TempDir& root) {
  std::string last_marker, last_text, raw;
  bool changed = false;
  const auto until = std::chrono::steady_clock::now() + kSettleLimit;
  while (std::chrono::steady_clock::now() < until) {
    const auto scrape = http_get(d.url);
    REQUIRE(scrape.status == 200);
    const auto marker = *c.collector ? run_marker(scrape.body, c.collector) : "static";
    if (!marker.empty() && marker != last_marker) {
      auto text = normalise(scrape.body, how);
      if (text == last_text) return scrape.body;
      if (!last_text.empty()) raw = unified_diff("run before", last_text, "run after", text, root);
      if (c.change && !changed) {
        c.change(root);  // runs from here on count what changed
        changed = true;
        text.clear();
      }
      last_marker = *c.collector ? marker : "";
      last_text = text;
    }
    std::this_thread::sleep_for(*c.collector ? 50ms : 300ms);
  }
  // Printed as is: Catch would wrap the diff's lines inside its message.
  std::cout << "bmcquietd log:\n" << read_file(d.log) << "\n" << raw;
  FAIL_CHECK("the output did not settle within "
             << kSettleLimit.count()
             << " s: the two last runs differ in the lines the diff above shows. If they "
                "legitimately vary, add their family to kVaries (tests/golden/normalise.cpp) "
                "or the case's `varies`.");
  return {};
}

// The peers of one run and what the config and the normalisation learn from them.
struct Peers {
  std::unique_ptr<BmcSim> bmcsim;
  std::unique_ptr<IpmiSim> ipmi;
  std::map<std::string, std::string> fill;  // config placeholders
  std::map<std::string, std::string> text;  // normalisation: this run's ports
};

std::optional<std::string> mockup_dir(const std::string& mockup) {
  const std::string shared = "shared:";
  if (mockup.rfind(shared, 0) != 0) return fixture_dir(mockup);
  const auto dir = fs::path(BMCQUIET_SOURCE_DIR) / ".." / "shared" / "redfish-mockups" /
                   mockup.substr(shared.size());
  if (fs::is_directory(dir)) return dir.string();
  WARN("SKIPPED: " << dir.string() << " is absent (real BMC captures, optional)");
  return std::nullopt;
}

// False (with a SKIPPED: warning, which ctest reports as skipped) when the
// peer cannot run here.
bool start_peers(const Case& c, const TempDir& root, Peers& p) {
  if (c.peer == Peer::bmcsim) {
    const auto dir = mockup_dir(c.mockup);
    if (!dir) return false;
    p.bmcsim = std::make_unique<BmcSim>(BmcSimConfig{*dir});
    const auto password = root.write("redfish-password", "secret");
    ::chmod(password.c_str(), 0600);
    p.fill = {{"@BMC_URL@", p.bmcsim->url()}, {"@PASSWORD_FILE@", password}};
    p.text[p.bmcsim->url().substr(7)] = "127.0.0.1:<port>";  // after http://
  } else if (c.peer == Peer::ipmi_sim) {
    if (skip_without_ipmi_sim()) return false;
    p.ipmi = std::make_unique<IpmiSim>(c.ipmi ? c.ipmi() : IpmiSim::Options{});
    REQUIRE(p.ipmi->start());
    const auto port = std::to_string(p.ipmi->port());
    p.fill = {{"@IPMI_PORT@", port},
              {"@IPMI_USER@", IpmiSim::kUser},
              {"@IPMI_PASSWORD_FILE@", p.ipmi->password_file()}};
    p.text["127.0.0.1:" + port] = "127.0.0.1:<port>";
  }
  p.fill["@ROOT@"] = root.path();
  return true;
}

std::string update_hint(const Case& c) {
  return "If the change is intended, review it as an API change (dashboards, alerts, "
         "recording rules and users' queries read these series) and rewrite the golden "
         "with:\n  scripts/update-golden '" +
         case_name(c) + "'\n(or BMCQUIET_UPDATE_GOLDEN=1 ctest --test-dir build -L golden -R '" +
         case_name(c) + "'), then commit the .prom file with the change.";
}

void check_golden(const Case& c, const std::string& actual, const TempDir& scratch) {
  const auto file = golden_dir() + "/" + case_name(c) + ".prom";
  if (std::getenv("BMCQUIET_UPDATE_GOLDEN")) {
    std::ofstream(file) << actual;
    WARN("wrote " << file << " (BMCQUIET_UPDATE_GOLDEN is set)");
    return;
  }
  if (!fs::exists(file)) FAIL("no golden file " << file << "\n" << update_hint(c));
  const auto expected = read_file(file);
  const auto rel = "tests/golden/" + case_name(c) + ".prom";
  if (expected != actual) {
    std::cout << unified_diff(rel, expected, "this build", actual, scratch);
    FAIL("/metrics differs from " << rel << ": the unified diff above shows how (- golden, + "
                                  << "this build).\n"
                                  << update_hint(c));
  }
  SUCCEED(rel << " matches");
}

// What must hold whatever the golden says.
void check_scrape(const Case& c, const std::string& scrape, const std::string& log) {
  INFO("bmcquietd log:\n" << read_file(log));
  if (*c.collector) {
    // A golden of a collector that is down would only record its failure.
    CHECK(sample_value(scrape, "bmcquiet_collector_up{collector=\"" + std::string(c.collector) +
                                   "\"}") == 1.0);
    return;
  }
  for (const auto& name : unknown_exporter_wide(scrape))
    FAIL_CHECK(name << " is exported with every collector off: add it to kExporterWide "
                       "(tests/golden/normalise.cpp) so the per-collector goldens leave it "
                       "to exporter/no-collectors.prom");
}

}  // namespace

void run(const Case& c) {
  TempDir root;
  for (const char* dir : {"proc", "sys", "dev", "state"})
    fs::create_directories(root.path() + "/" + dir);
  Peers peers;
  if (!start_peers(c, root, peers)) return;
  if (c.setup) c.setup(root);
  const auto config = root.write("bmcquiet.yaml", compose_config(c, root, peers.fill));
  const auto daemon = start_daemon(config, root);

  Normalisation how{*c.collector != '\0', c.varies, peers.text};
  how.text[root.path()] = "<root>";
  for (const auto& [from, to] : c.rewrite) how.text[from] = to;
  how.text[daemon.url.substr(7, daemon.url.rfind('/') - 7)] = "127.0.0.1:<port>";
  const auto scrape = settled(c, daemon, how, root);
  if (scrape.empty()) return;
  check_scrape(c, scrape, daemon.log);
  check_golden(c, normalise(scrape, how), root);
}

}  // namespace bmcquiet::test::golden
