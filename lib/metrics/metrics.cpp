#include "metrics/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <map>
#include <mutex>
#include <tuple>

namespace bmcquiet {

namespace {
constexpr char kCounter = 'c', kGauge = 'g', kHistogram = 'h';
}

// Which owner created which series. Collectors may create series from their
// worker threads, hence the lock.
struct Metrics::Ledger {
  using Key = std::tuple<char, std::string, Labels>;
  std::mutex mutex;
  std::map<std::string, std::set<Key>> series;
  std::map<std::string, std::unique_ptr<Metrics>> views;
};

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      own_ledger_(std::make_shared<Ledger>()),
      ledger_(own_ledger_.get()) {}

Metrics::Metrics(std::shared_ptr<prometheus::Registry> registry, Ledger* ledger, std::string owner)
    : registry_(std::move(registry)), ledger_(ledger), owner_(std::move(owner)) {}

Metrics& Metrics::owned_by(const std::string& owner) {
  std::lock_guard lock(ledger_->mutex);
  auto& view = ledger_->views[owner];
  if (!view) view.reset(new Metrics(registry_, ledger_, owner));
  return *view;
}

void Metrics::record(char kind, const std::string& name, const Labels& labels) {
  if (owner_.empty()) return;
  std::lock_guard lock(ledger_->mutex);
  ledger_->series[owner_].emplace(kind, name, labels);
}

void Metrics::forget(char kind, const std::string& name, const Labels& labels) {
  if (owner_.empty()) return;
  std::lock_guard lock(ledger_->mutex);
  ledger_->series[owner_].erase({kind, name, labels});
}

void Metrics::drop_owners_except(const std::set<std::string>& live) {
  std::set<Ledger::Key> doomed, kept;
  {
    std::lock_guard lock(ledger_->mutex);
    for (auto it = ledger_->series.begin(); it != ledger_->series.end();) {
      auto& into = live.count(it->first) ? kept : doomed;
      into.insert(it->second.begin(), it->second.end());
      it = live.count(it->first) ? std::next(it) : ledger_->series.erase(it);
    }
  }
  for (const auto& [kind, name, labels] : doomed)
    if (!kept.count({kind, name, labels})) remove_series(kind, name, labels);
}

void Metrics::remove_series(char kind, const std::string& name, const Labels& labels) {
  if (kind == kCounter) {
    auto& family = counter_family(name, "");
    if (family.Has(labels)) family.Remove(&family.Add(labels));
  } else if (kind == kGauge) {
    auto& family = gauge_family(name, "");
    if (family.Has(labels)) family.Remove(&family.Add(labels));
  } else {
    auto& family = prometheus::BuildHistogram().Name(name).Register(*registry_);
    if (family.Has(labels))
      family.Remove(&family.Add(labels, prometheus::Histogram::BucketBoundaries{}));
  }
}

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
  record(kCounter, name, labels);
  return counter_family(name, help).Add(labels);
}

prometheus::Gauge& Metrics::gauge(const std::string& name, const std::string& help,
                                  const Labels& labels) {
  record(kGauge, name, labels);
  return gauge_family(name, help).Add(labels);
}

prometheus::Histogram& Metrics::histogram(const std::string& name, const std::string& help,
                                          const std::vector<double>& buckets,
                                          const Labels& labels) {
  auto& family = prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
  record(kHistogram, name, labels);
  return family.Add(labels, buckets);
}

void Metrics::remove_gauge(const std::string& name, const Labels& labels) {
  forget(kGauge, name, labels);
  remove_series(kGauge, name, labels);
}

void Metrics::remove_counter(const std::string& name, const Labels& labels) {
  forget(kCounter, name, labels);
  remove_series(kCounter, name, labels);
}

void Metrics::set_info(const std::string& name, const std::string& help, const Labels& labels,
                       const std::string& scope) {
  const auto in_scope = [&](const Labels& other) {
    if (scope.empty()) return true;
    auto mine = labels.find(scope), theirs = other.find(scope);
    return theirs != other.end() && mine != labels.end() && theirs->second == mine->second;
  };
  auto& family = gauge_family(name, help);
  // prometheus-cpp cannot enumerate a family's series; collect and drop the others.
  for (const auto& mf : family.Collect()) {
    for (const auto& m : mf.metric) {
      Labels existing;
      for (const auto& lp : m.label) existing[lp.name] = lp.value;
      if (existing != labels && in_scope(existing)) family.Remove(&family.Add(existing));
    }
  }
  record(kGauge, name, labels);
  family.Add(labels).Set(1);
}

std::string Metrics::serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace bmcquiet
