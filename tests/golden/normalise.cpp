// What a golden keeps and what it normalises. A golden is the API of one
// collector: metric names, HELP and TYPE text, label names and label values,
// and the values a fixture determines. Only what legitimately varies between
// two runs on two machines is replaced:
//
//  1. Order. prometheus-cpp emits families and series in hash order: families
//     are sorted by name, each as HELP, TYPE, then its samples sorted.
//  2. Exporter-wide families (kExporterWide: build info, config reload,
//     exporter connections, the daemon's CPU placement, process_*) are the
//     same with any collector: they are left out of the per-collector goldens
//     and kept in exporter/no-collectors.prom, which fails when a family it
//     does not list appears (add it here so the per-collector files stay quiet).
//  3. Values that vary (kVaries and the case's own `varies`) become <varies>:
//     wall-clock timestamps, durations, the process's resources, and counters
//     of the daemon's own work that grow with every run or scrape (requests
//     sent, samples read). Their series and labels stay.
//  4. Label values that describe this build or host (kHostLabels: version,
//     the CPUs the daemon may run on, where the TSC frequency came from)
//     become <varies>; series that then repeat are one.
//  5. Text of this run: the temp root becomes <root>, the peers' and the
//     exporter's ports become <port>; plus a case's `rewrite` of output known
//     to flip between runs (a bug, to be named at its row in cases.cpp; none
//     today).
// Nothing else is normalised: a value that changes between two runs of the
// same fixture fails the settle check in harness.cpp, which names it.
#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "golden/golden.hpp"

namespace bmcquiet::test::golden {
namespace {

const std::vector<std::string> kExporterWide = {
    "bmcquiet_bmc_configured",
    "bmcquiet_build_info",
    "bmcquiet_config_last_reload_success_timestamp_seconds",
    "bmcquiet_config_last_reload_successful",
    "bmcquiet_daemon_cpu_allowed",
    "bmcquiet_daemon_threads_on_isolated_cpus",
    "bmcquiet_exporter_connections",
    "bmcquiet_exporter_connections_evicted_total",
    "bmcquiet_exporter_header_timeouts_total",
    "bmcquiet_exporter_requests_total",
    "process_cpu_seconds_total",
    "process_max_fds",
    "process_open_fds",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_virtual_memory_bytes",
};

const std::regex kVaries(
    "process_.*"                                  // the daemon's own CPU, memory, fds, start
    "|.*_timestamp_seconds"                       // wall clock
    "|.*_duration_seconds"                        // how long a run or request took
    "|bmcquiet_exporter_connections"              // the scraper's connection(s)
    "|bmcquiet_exporter_requests_total"           // grows with every scrape
    "|bmcquiet_(redfish|ipmi)_requests_total"     // grows with every run
    "|bmcquiet_smi_sample_(remote_)?reads_total"  // grows with every run
);

// (family, label) pairs whose value describes the build or the host.
const std::vector<std::pair<std::string, std::string>> kHostLabels = {
    {"bmcquiet_build_info", "revision"},
    {"bmcquiet_build_info", "version"},
    {"bmcquiet_daemon_cpu_allowed", "cpu"},
    {"bmcquiet_tsc_detector_info", "frequency_source"},  // CPUID, tsc_khz or calibrated
};

constexpr const char* kVaried = "<varies>";

struct Family {
  std::string help, type;
  std::set<std::string> samples;
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// name{a="x",b="y"} value: the label's value replaced.
std::string mask_label(std::string sample, const std::string& label) {
  const auto key = label + "=\"";
  auto at = sample.find(key);
  const auto labels_end = sample.find('}');
  if (at == std::string::npos || at > labels_end) return sample;
  at += key.size();
  auto end = at;
  while (end < sample.size() && sample[end] != '"') end += sample[end] == '\\' ? 2 : 1;
  return sample.replace(at, end - at, kVaried);
}

std::string mask_value(const std::string& sample) {
  const auto labels_end = sample.find('}');
  const auto space = sample.find(' ', labels_end == std::string::npos ? 0 : labels_end);
  return space == std::string::npos ? sample : sample.substr(0, space + 1) + kVaried;
}

bool exporter_wide(const std::string& family) {
  return std::find(kExporterWide.begin(), kExporterWide.end(), family) != kExporterWide.end();
}

std::map<std::string, Family> families_of(const std::string& scrape) {
  std::map<std::string, Family> out;
  std::string current;
  std::istringstream in(scrape);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const auto name_end = line.find(' ', 7);
      current = line.substr(7, name_end - 7);
      (line[2] == 'H' ? out[current].help : out[current].type) = line;
    } else if (line[0] != '#') {
      out[current].samples.insert(line);
    }
  }
  return out;
}

void normalise_family(const std::string& name, Family& family, const std::regex& varies) {
  std::set<std::string> samples;
  for (auto sample : family.samples) {
    for (const auto& [host_family, label] : kHostLabels)
      if (host_family == name) sample = mask_label(sample, label);
    if (std::regex_match(name, kVaries) || std::regex_match(name, varies))
      sample = mask_value(sample);
    samples.insert(sample);
  }
  family.samples = std::move(samples);
}

}  // namespace

std::string normalise(const std::string& scrape, const Normalisation& how) {
  std::string text = scrape;
  for (const auto& [from, to] : how.text) text = replace_all(text, from, to);
  const std::regex varies(how.varies.empty() ? std::string("$^") : how.varies);
  std::ostringstream out;
  for (auto& [name, family] : families_of(text)) {
    if (how.drop_exporter_wide && exporter_wide(name)) continue;
    normalise_family(name, family, varies);
    if (!family.help.empty()) out << family.help << '\n';
    if (!family.type.empty()) out << family.type << '\n';
    for (const auto& sample : family.samples) out << sample << '\n';
  }
  return out.str();
}

std::vector<std::string> unknown_exporter_wide(const std::string& scrape) {
  std::vector<std::string> unknown;
  for (const auto& [name, family] : families_of(scrape))
    if (!exporter_wide(name)) unknown.push_back(name);
  return unknown;
}

}  // namespace bmcquiet::test::golden
