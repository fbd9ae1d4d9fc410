#pragma once

#include <memory>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"

namespace bmcquiet {

// The quiet-BMC policy: one reconcile pass per interval (see policy/engine.hpp).
std::unique_ptr<Collector> make_policy_collector(const CollectorEnv& env, ConfigSection& section);

}  // namespace bmcquiet
