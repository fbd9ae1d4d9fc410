// The per-peer series cap: fair between metrics, independent of list order.
#include <algorithm>
#include <random>

#include <catch2/catch.hpp>

#include "metrics/series_set.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using bmcquiet::test::sample_value;

namespace {

struct Item {
  const char* name;
  Labels labels;
};

// 3000 temperatures, 1000 fans and 2 logs, like a BMC's lists.
std::vector<Item> bmc_lists() {
  std::vector<Item> items;
  for (int i = 0; i < 3000; ++i)
    items.push_back({"t_celsius", {{"chassis", std::to_string(i % 7)}, {"id", std::to_string(i)}}});
  for (int i = 0; i < 1000; ++i) items.push_back({"f_rpm", {{"id", std::to_string(i)}}});
  items.push_back({"l_entries", {{"log", "sel"}}});
  items.push_back({"l_entries", {{"log", "event"}}});
  return items;
}

std::string publish(const std::vector<Item>& items, std::size_t cap,
                    std::map<std::string, std::size_t>* dropped = nullptr) {
  Metrics metrics;
  SeriesSet series(metrics, cap);
  series.set("fixed", "always there", {}, 1.0);
  for (const auto& item : items) series.listed(item.name, "h", item.labels, 1.0);
  auto d = series.sweep();
  if (dropped) *dropped = d;
  return metrics.serialize();
}

std::size_t count_series(const std::string& text, const std::string& name) {
  std::size_t n = 0;
  for (std::size_t at = text.find("\n" + name + "{"); at != std::string::npos;
       at = text.find("\n" + name + "{", at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("series cap: shared fairly between metrics, small ones whole, fixed series apart") {
  std::map<std::string, std::size_t> dropped;
  auto text = publish(bmc_lists(), 1000, &dropped);
  CHECK(sample_value(text, "fixed") == 1.0);
  CHECK(count_series(text, "l_entries") == 2);
  // (1000 - 2) / 2 each; the last one takes what is left.
  CHECK(count_series(text, "f_rpm") == 499);
  CHECK(count_series(text, "t_celsius") == 499);
  CHECK(dropped == std::map<std::string, std::size_t>{{"f_rpm", 501}, {"t_celsius", 2501}});

  CHECK(publish(bmc_lists(), 5000, &dropped).size() > text.size());
  CHECK(dropped.empty());  // under the cap nothing is left out
}

TEST_CASE("series cap: which series survive does not depend on the peer's list order") {
  auto items = bmc_lists();
  const auto sorted = publish(items, 700);
  std::mt19937 shuffle(42);
  for (int round = 0; round < 3; ++round) {
    std::shuffle(items.begin(), items.end(), shuffle);
    CHECK(publish(items, 700) == sorted);
  }
  std::reverse(items.begin(), items.end());
  CHECK(publish(items, 700) == sorted);
}

TEST_CASE("series cap: a series no longer kept or no longer listed is removed") {
  Metrics metrics;
  SeriesSet series(metrics, 2);
  for (const char* id : {"a", "b", "c"}) series.listed("x", "h", {{"id", id}}, 1.0);
  series.sweep();
  CHECK(sample_value(metrics.serialize(), R"(x{id="b"})"));
  CHECK_FALSE(sample_value(metrics.serialize(), R"(x{id="c"})"));
  series.listed("x", "h", {{"id", "c"}}, 2.0);
  CHECK(series.sweep().empty());
  auto text = metrics.serialize();
  CHECK_FALSE(sample_value(text, R"(x{id="a"})"));
  CHECK(sample_value(text, R"(x{id="c"})") == 2.0);
}
