#pragma once

#include <memory>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"

namespace bmcquiet {

// Who uses in-band IPMI (KCS) on this host: processes holding <devfs>/ipmi*
// open, whether they may run on isolated CPUs, and the ipmi_si driver's
// transaction counters. The policy item inband_ipmi switches the BMC side off;
// this shows what would lose its access, and what it costs until then.
std::unique_ptr<Collector> make_inband_ipmi_collector(const CollectorEnv& env,
                                                      ConfigSection& section);

}  // namespace bmcquiet
