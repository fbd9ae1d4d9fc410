#pragma once

#include <memory>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"

namespace bmcquiet {

// The BMC's view over Redfish (bmc.redfish): temperatures, fans, power and its
// cap, SEL fill, virtual media, consoles, watchdog and identity. Built only
// when a Redfish client is configured; it polls through the shared client.
std::unique_ptr<Collector> make_redfish_collector(const CollectorEnv& env, ConfigSection& section);

}  // namespace bmcquiet
