// A BMC's measured per-request latency, as the Redfish Mockup Creator writes
// it in a capture's README:
//   Average response time: 0.1897488684436075
//   Maximum response time: 18.02200984954834, /redfish/v1/Managers/.../Sel/Entries
// The average stands for every path; each line naming a path gives that exact
// path its own figure. Header-only and std-only: bmcsim replays it, and the
// tests and benchmarks (which do not link bmcsim) read the same figures.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

namespace bmcsim {

struct LatencyProfile {
  std::string source;  // the README it came from
  std::optional<std::chrono::milliseconds> average;
  std::map<std::string, std::chrono::milliseconds> paths;  // exact path → latency

  // The latency of one path (no query, no trailing '/'), or fallback.
  std::chrono::milliseconds for_path(const std::string& path,
                                     std::chrono::milliseconds fallback) const {
    if (auto it = paths.find(path); it != paths.end()) return it->second;
    return average.value_or(fallback);
  }
};

namespace detail {

inline std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// One "<Label> response time: <seconds>[, <path>]" line into the profile.
inline void read_profile_line(const std::string& line, LatencyProfile& p) {
  static const std::string marker = "response time:";
  const auto at = line.find(marker);
  if (at == std::string::npos) return;
  const auto label = trimmed(line.substr(0, at));
  const char* value = line.c_str() + at + marker.size();
  char* end = nullptr;
  const double seconds = std::strtod(value, &end);
  if (end == value || seconds < 0) return;
  const std::chrono::milliseconds ms(static_cast<long long>(seconds * 1000 + 0.5));
  auto rest = trimmed(end);
  if (!rest.empty() && rest.front() == ',') {
    auto path = trimmed(rest.substr(1));
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    // Several lines for one path (min and max): the slower one is the risk.
    if (path.starts_with("/")) p.paths[path] = std::max(p.paths[path], ms);
    return;
  }
  if (label == "Average") p.average = ms;  // "Total" is the whole walk's sum, not a request
}

}  // namespace detail

// Reads a capture README; nullopt with *error naming the file and what is
// missing when it cannot be read or has no timing line at all.
inline std::optional<LatencyProfile> load_latency_profile(const std::string& file,
                                                          std::string* error) {
  std::ifstream in(file);
  if (!in) {
    *error = "cannot read latency profile " + file + " (a capture README with response times)";
    return std::nullopt;
  }
  LatencyProfile p;
  p.source = file;
  for (std::string line; std::getline(in, line);) detail::read_profile_line(line, p);
  if (!p.average && p.paths.empty()) {
    *error = file +
             ": no 'Average response time:' or '... response time: SECONDS, PATH' line; "
             "pass --latency-ms instead";
    return std::nullopt;
  }
  return p;
}

}  // namespace bmcsim
