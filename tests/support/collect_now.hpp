// Runs one collection of a collector whose collect() answers synchronously
// (file-backed collectors in unit tests) and returns how it went.
#pragma once

#include "collectors/collector.hpp"

namespace bmcquiet::test {

inline CollectOutcome collect_now(Collector& collector) {
  CollectOutcome out = CollectOutcome::failure("not called");
  collector.collect([&](CollectOutcome o) { out = std::move(o); });
  return out;
}

}  // namespace bmcquiet::test
