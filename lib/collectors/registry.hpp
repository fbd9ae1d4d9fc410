// The one place collectors are registered: one line each in registry.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"

namespace bmcquiet {

struct CollectorFactory {
  std::string_view name;
  bool enabled_by_default;
  std::chrono::nanoseconds default_interval;
  // Reads the collector's own keys from its section (the framework has already
  // taken `enabled` and `interval`) and builds it without touching devices.
  std::unique_ptr<Collector> (*make)(const CollectorEnv& env, ConfigSection& section);
};

const std::vector<CollectorFactory>& collector_factories();

}  // namespace bmcquiet
