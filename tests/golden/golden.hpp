// Golden /metrics: the real bmcquietd with exactly one collector enabled,
// against a fixture, scraped once its output has settled, normalised, and
// compared with tests/golden/<collector>/<fixture>.prom (see harness.cpp for
// the procedure and normalise.cpp for what is normalised and why).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"

namespace bmcquiet::test::golden {

// The peer the daemon talks to, started by the harness for the run.
enum class Peer {
  none,      // host-side collectors: only the fake /proc, /sys and /dev under the root
  bmcsim,    // tests/tools/bmcsim serving `mockup` over plain HTTP
  ipmi_sim,  // OpenIPMI's ipmi_sim with bmcquiet's DCMI/watchdog module, over lanplus
};

// Writes the fake kernel files a collector reads (proc/, sys/, dev/ under root).
using SetupRoot = void (*)(const TempDir& root);

// One row of the table in cases.cpp (designated initializers, in this order):
// one golden file.
struct Case {
  const char* collector;  // the one collector enabled; "" = none (the exporter's own series)
  const char* fixture;    // tests/golden/<collector or exporter>/<fixture>.{yaml,prom}
  Peer peer = Peer::none;
  // bmcsim: a folder under tests/fixtures, or "shared:<dir>" for a real capture
  // in ../shared/redfish-mockups (the case skips when ../shared is absent).
  const char* mockup = "";
  // ipmi_sim: its SEL entries, SDRs, emu commands... (nullptr: IpmiSim's defaults).
  IpmiSim::Options (*ipmi)() = nullptr;
  SetupRoot setup = nullptr;
  // Applied once after the first completed run (e.g. a counter moves), so the
  // golden shows counted values, not only zeros from an unchanging input.
  SetupRoot change = nullptr;
  // Families (regex on the name) whose values vary on this fixture on top of
  // the harness-wide rules, e.g. what the TSC detector measures on this host.
  const char* varies = "";
  // Literal rewrites of the scrape for output known to flip between runs on
  // this fixture: each one is a bug to fix, named where the row is.
  std::vector<std::pair<std::string, std::string>> rewrite = {};
};

// How a scrape is normalised for one case.
struct Normalisation {
  bool drop_exporter_wide = true;           // false for the exporter's own golden
  std::string varies;                       // the case's extra value rule (regex)
  std::map<std::string, std::string> text;  // literal replacements: temp root, ports
};

// The scrape as golden text: families sorted by name, HELP and TYPE kept,
// samples sorted, what legitimately varies replaced by <varies>/<root>/<port>.
std::string normalise(const std::string& scrape, const Normalisation& how);

// Families that normalise() drops from every per-collector golden (they are in
// the exporter's own golden instead); empty when all are known.
std::vector<std::string> unknown_exporter_wide(const std::string& scrape);

// Runs one case and checks (or, with BMCQUIET_UPDATE_GOLDEN set, rewrites) its golden.
void run(const Case& c);

}  // namespace bmcquiet::test::golden
