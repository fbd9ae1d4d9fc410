#pragma once

#include <memory>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"

namespace bmcquiet {

// DCMI power reading and power limit through the shared IPMI client
// (bmc.ipmi): the whole-server cap the BMC enforces, whether it is active,
// what the BMC does when it is exceeded, and the draw it measures. The default
// interval is long because in-band requests may raise SMIs on some platforms.
std::unique_ptr<Collector> make_dcmi_collector(const CollectorEnv& env, ConfigSection& section);

}  // namespace bmcquiet
