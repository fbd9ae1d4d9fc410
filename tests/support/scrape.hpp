// Starting bmcquietd and reading its /metrics: the address from the READY=1
// notification, and scrapes repeated until a series reaches a value.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
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

// bmcquietd on `config`, /metrics on a free port, READY=1 received.
struct StartedDaemon {
  std::unique_ptr<NotifySocket> notify;
  std::unique_ptr<Process> process;
  std::string url;  // its /metrics
};

inline StartedDaemon start_daemon(const TempDir& dir, const std::string& config) {
  StartedDaemon d;
  d.notify = std::make_unique<NotifySocket>(dir.path());
  d.process = std::make_unique<Process>(
      std::vector<std::string>{built_binary("daemon/bmcquietd"), "--config", config, "--listen",
                               "127.0.0.1:0"},
      std::map<std::string, std::string>{{"NOTIFY_SOCKET", d.notify->path()}});
  auto ready = d.notify->wait_for("READY=1", std::chrono::seconds(10));
  REQUIRE(ready);
  d.url = ready_metrics_url(*ready);
  return d;
}

}  // namespace bmcquiet::test
