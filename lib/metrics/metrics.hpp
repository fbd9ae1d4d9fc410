// Thin wrapper over one prometheus-cpp registry that lives for the whole
// process, across reloads: asking again for a family or series returns the
// existing object, so counters stay monotonic when collectors are rebuilt.
//
// Each collector writes through its own view (owned_by), which records the
// series it creates; when a reload disables the collector, the daemon drops
// them, so no frozen value outlives the collector that kept it current.
#pragma once

#include <memory>
#include <set>
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

  // Sets an `_info`-style gauge to 1 for labels, removing its other series first;
  // with a scope label, only those with the same value of it (another source's stay).
  void set_info(const std::string& name, const std::string& help, const Labels& labels,
                const std::string& scope = "");

  // A view on the same registry that records every series created through it
  // under `owner`. One view per owner, alive as long as this object.
  Metrics& owned_by(const std::string& owner);
  // Removes every series recorded under an owner that is not in `live` (and
  // not recorded under a live owner too). Call once nothing writes through
  // those views any more: cached series references would dangle.
  void drop_owners_except(const std::set<std::string>& live);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  std::string serialize() const;  // the text exposition, for tests and `check`

 private:
  struct Ledger;
  Metrics(std::shared_ptr<prometheus::Registry> registry, Ledger* ledger, std::string owner);
  void record(char kind, const std::string& name, const Labels& labels);
  void forget(char kind, const std::string& name, const Labels& labels);
  void remove_series(char kind, const std::string& name, const Labels& labels);

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Ledger> own_ledger_;  // the root's; views live inside it
  Ledger* ledger_;
  std::string owner_;  // empty: the root, nothing recorded
};

}  // namespace bmcquiet
