// Runs collectors on the event loop at their intervals and emits, for each,
// bmcquiet_collector_{up,duration_seconds,last_success_timestamp_seconds,
// errors_total}. Scrapes never trigger collection: they read what the last
// run left in the registry.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collectors/collector.hpp"

namespace bmcquiet {

class Scheduler {
 public:
  Scheduler(boost::asio::io_context& io, Metrics& metrics);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts every collector (first collection right away) and keeps them.
  void start(std::vector<ScheduledCollector> collectors);
  // Stops and drops every collector; safe to call twice.
  void stop();
  // Reload: stops the running collectors, starts these, and removes the health
  // series of collectors that are no longer configured (the others keep theirs,
  // so errors_total stays monotonic).
  void replace(std::vector<ScheduledCollector> collectors);
  // One line for systemd's STATUS=, e.g. "3/4 collectors up (smi down)".
  std::string summary() const;

 private:
  struct Slot;
  boost::asio::io_context& io_;
  Metrics& metrics_;
  std::vector<std::shared_ptr<Slot>> slots_;
};

}  // namespace bmcquiet
