#pragma once

#include <memory>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"

namespace bmcquiet {

// What keeps the node's watchdogs alive (platform/watchdog_petters.hpp): the
// petters' CPUs and scheduling, the kernel's watchdog devices, the BMC's own
// watchdog timer over bmc.ipmi, and whether a running watchdog that resets
// the node has no petter safely placed on housekeeping CPUs.
std::unique_ptr<Collector> make_watchdog_collector(const CollectorEnv& env, ConfigSection& section);

}  // namespace bmcquiet
