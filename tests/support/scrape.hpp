// Reading a started bmcquietd's /metrics: its address from the READY=1
// notification, and scrapes repeated until a series reaches a value.
#pragma once

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <thread>

#include "support/helpers.hpp"

namespace bmcquiet::test {

inline std::string ready_metrics_url(const std::string& ready) {
  auto start = ready.find("http://");
  auto end = ready.find("/metrics", start);
  REQUIRE(start != std::string::npos);
  return ready.substr(start, end + 8 - start);
}

// Scrapes until `series` has `value` (or is absent, for nullopt), for at most
// 6 s; the last scrape.
inline std::string scrape_until(const std::string& url, const std::string& series,
                                std::optional<double> value) {
  std::string body;
  for (int i = 0; i < 60; ++i) {
    body = http_get(url).body;
    if (sample_value(body, series) == value) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return body;
}

}  // namespace bmcquiet::test
