#include "metrics/series_set.hpp"

#include <algorithm>
#include <tuple>
#include <vector>

namespace bmcquiet {

void SeriesSet::set(const char* name, const char* help, const Labels& labels, double value) {
  metrics_.gauge(name, help, labels).Set(value);
  now_.insert({name, labels});
}

void SeriesSet::set(const char* name, const char* help, const Labels& labels,
                    std::optional<bool> value) {
  if (value) set(name, help, labels, *value ? 1.0 : 0.0);
}

void SeriesSet::listed(const char* name, const char* help, const Labels& labels, double value) {
  listed_[name].insert_or_assign(labels, Pending{help, value});
}

void SeriesSet::listed(const char* name, const char* help, const Labels& labels,
                       std::optional<bool> value) {
  if (value) listed(name, help, labels, *value ? 1.0 : 0.0);
}

std::size_t SeriesSet::publish(const std::string& name, const Family& family, std::size_t budget) {
  std::size_t kept = 0;
  for (auto it = family.begin(); it != family.end() && kept < budget; ++it, ++kept)
    set(name.c_str(), it->second.help, it->first, it->second.value);
  return kept;
}

std::map<std::string, std::size_t> SeriesSet::sweep() {
  // Max-min fair: each metric, smallest first, takes at most an equal share
  // of what is left; what a small one leaves goes to the larger ones.
  std::vector<std::pair<std::size_t, const std::string*>> by_size;
  for (const auto& [name, family] : listed_) by_size.emplace_back(family.size(), &name);
  std::sort(by_size.begin(), by_size.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, *a.second) < std::tie(b.first, *b.second);
  });
  std::map<std::string, std::size_t> dropped;
  std::size_t left = max_;
  for (std::size_t i = 0; i < by_size.size(); ++i) {
    const auto& [size, name] = by_size[i];
    const std::size_t kept = publish(*name, listed_[*name], left / (by_size.size() - i));
    left -= kept;
    if (kept < size) dropped[*name] = size - kept;
  }
  listed_.clear();
  for (const auto& [name, labels] : before_)
    if (!now_.count({name, labels})) metrics_.remove_gauge(name, labels);
  before_ = std::move(now_);
  now_.clear();
  return dropped;
}

}  // namespace bmcquiet
