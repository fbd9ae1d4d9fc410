#include "metrics/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace bmcquiet {

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {}

prometheus::Family<prometheus::Counter>& Metrics::counter_family(const std::string& name,
                                                                 const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
}

prometheus::Family<prometheus::Gauge>& Metrics::gauge_family(const std::string& name,
                                                             const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
}

prometheus::Counter& Metrics::counter(const std::string& name, const std::string& help,
                                      const Labels& labels) {
  return counter_family(name, help).Add(labels);
}

prometheus::Gauge& Metrics::gauge(const std::string& name, const std::string& help,
                                  const Labels& labels) {
  return gauge_family(name, help).Add(labels);
}

prometheus::Histogram& Metrics::histogram(const std::string& name, const std::string& help,
                                          const std::vector<double>& buckets,
                                          const Labels& labels) {
  auto& family = prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
  return family.Add(labels, buckets);
}

void Metrics::remove_gauge(const std::string& name, const Labels& labels) {
  auto& family = gauge_family(name, "");
  if (family.Has(labels)) family.Remove(&family.Add(labels));
}

void Metrics::remove_counter(const std::string& name, const Labels& labels) {
  auto& family = counter_family(name, "");
  if (family.Has(labels)) family.Remove(&family.Add(labels));
}

void Metrics::set_info(const std::string& name, const std::string& help, const Labels& labels) {
  auto& family = gauge_family(name, help);
  // prometheus-cpp cannot enumerate a family's series; collect and drop the others.
  for (const auto& mf : family.Collect()) {
    for (const auto& m : mf.metric) {
      Labels existing;
      for (const auto& lp : m.label) existing[lp.name] = lp.value;
      if (existing != labels) family.Remove(&family.Add(existing));
    }
  }
  family.Add(labels).Set(1);
}

std::string Metrics::serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace bmcquiet
