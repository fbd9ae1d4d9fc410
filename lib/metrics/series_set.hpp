// Gauges a collector sets every round. Whatever the last round set and this
// one did not is removed, so a sensor that went null (or a peer that went
// down) leaves no stale value behind.
//
// Series that come from a peer's own lists (a BMC's sensors, fans, chassis)
// are capped: a peer with 15,000 sensors must not take the exporter's memory
// with it. The cap is shared fairly between metrics, smallest first, so a
// flood of fans never pushes out the SEL fill or the temperatures; within a
// metric the series are kept in sorted order of their labels. Which survive
// never depends on the order the peer listed them in.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "metrics/metrics.hpp"

namespace bmcquiet {

class SeriesSet {
 public:
  SeriesSet(Metrics& metrics, std::size_t max_listed) : metrics_(metrics), max_(max_listed) {}

  // A series of fixed count (a switch, a total): always published.
  void set(const char* name, const char* help, const Labels& labels, double value);
  void set(const char* name, const char* help, const Labels& labels, std::optional<bool> value);
  // One item of a peer's list: published at sweep() if it fits under the cap.
  void listed(const char* name, const char* help, const Labels& labels, double value);
  void listed(const char* name, const char* help, const Labels& labels, std::optional<bool> value);

  // Publishes the listed series that fit, removes the ones no longer set.
  // Returns how many listed series were left out, by metric name.
  std::map<std::string, std::size_t> sweep();

 private:
  struct Pending {
    const char* help;
    double value;
  };
  using Family = std::map<Labels, Pending>;  // sorted by labels
  std::size_t publish(const std::string& name, const Family& family, std::size_t budget);

  Metrics& metrics_;
  std::size_t max_;
  std::map<std::string, Family> listed_;
  std::set<std::pair<std::string, Labels>> before_, now_;
};

}  // namespace bmcquiet
