#pragma once

#include <memory>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"

namespace bmcquiet {

namespace policy {
class Engine;
// The engine of the running plan, for the control service (which outlives
// plans: reload builds a new collector and a new engine). Loop thread only.
std::shared_ptr<Engine> active_engine();
}  // namespace policy

// The quiet-BMC policy: one reconcile pass per interval (see policy/engine.hpp).
std::unique_ptr<Collector> make_policy_collector(const CollectorEnv& env, ConfigSection& section);

}  // namespace bmcquiet
