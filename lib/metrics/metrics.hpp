// Thin wrapper over one prometheus-cpp registry that lives for the whole
// process, across reloads: asking again for a family or series returns the
// existing object, so counters stay monotonic when collectors are rebuilt.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace bmcquiet {

using Labels = prometheus::Labels;

class Metrics {
 public:
  Metrics();

  prometheus::Counter& counter(const std::string& name, const std::string& help,
                               const Labels& labels = {});
  prometheus::Gauge& gauge(const std::string& name, const std::string& help,
                           const Labels& labels = {});
  prometheus::Histogram& histogram(const std::string& name, const std::string& help,
                                   const std::vector<double>& buckets, const Labels& labels = {});

  prometheus::Family<prometheus::Counter>& counter_family(const std::string& name,
                                                          const std::string& help);
  prometheus::Family<prometheus::Gauge>& gauge_family(const std::string& name,
                                                      const std::string& help);

  // Removes one gauge series (e.g. a value that became unknown: absent, never 0).
  void remove_gauge(const std::string& name, const Labels& labels);
  void remove_counter(const std::string& name, const Labels& labels);

  // Sets an `_info`-style gauge to 1 for labels, removing its other series first.
  void set_info(const std::string& name, const std::string& help, const Labels& labels);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  std::string serialize() const;  // the text exposition, for tests and `check`

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

}  // namespace bmcquiet
