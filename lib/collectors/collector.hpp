// The seam every collector plugs into.
//
// A collector owns one resource (a device, a BMC endpoint, a kernel file) and
// turns it into metrics. The framework (scheduler.hpp) calls collect() on the
// event loop at the configured interval and emits collector_up, duration,
// last-success and errors for it; the collector only says how it went.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/paths.hpp"
#include "core/problem.hpp"
#include "platform/cpu_topology.hpp"

namespace boost::asio {
class io_context;
}

namespace bmcquiet {

class Metrics;
namespace bmc {
class Bmc;
}
namespace policy {
struct ActiveEngine;
}

// How one collection went. `error` says what is missing or wrong and what to
// do about it; the framework logs it once per change of its kind (of its text
// where the kind is unknown), not once per interval.
struct CollectOutcome {
  bool ok = true;
  std::string error;
  ProblemKind kind = ProblemKind::unknown;

  static CollectOutcome success() { return {}; }
  static CollectOutcome failure(std::string message, ProblemKind kind = ProblemKind::unknown) {
    return {false, std::move(message), kind};
  }
};

using CollectDone = std::function<void(CollectOutcome)>;

class Collector {
 public:
  virtual ~Collector() = default;
  // On the loop, once, before the first collect(): open devices, start threads.
  // Construction must have no side effects so --check-config can build collectors.
  virtual void start() {}
  // On the loop. Call done exactly once, synchronously or later from the loop.
  virtual void collect(CollectDone done) = 0;
  // On the loop: cancel async work and join threads. done need not be called after.
  virtual void stop() {}
};

// What a collector factory gets besides its own config section.
struct CollectorEnv {
  boost::asio::io_context& io;
  Metrics& metrics;
  Paths paths;
  CpuSelection cpus;  // operator overrides of the isolated/housekeeping split
  // The BMC's owner (bmc/bmc.hpp), built from `bmc:` by the daemon's setup. Consumers
  // borrow() it in start(); null only where no setup built one (unit tests).
  std::shared_ptr<bmc::Bmc> bmc{};
  // Where the policy collector publishes its engine for the D-Bus server;
  // null where nothing reads it (--check-config, unit tests).
  std::shared_ptr<policy::ActiveEngine> active_engine{};
};

// A built collector with its name and interval, as the scheduler runs it.
struct ScheduledCollector {
  std::string name;
  std::chrono::nanoseconds interval;
  std::unique_ptr<Collector> collector;
};

}  // namespace bmcquiet
