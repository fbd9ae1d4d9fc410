#pragma once

#include <memory>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"

namespace bmcquiet {

// Interrupts on isolated vs housekeeping CPUs from the sources that disturb an
// inference core: serial/UART (SOL), IPMI/KCS, and the function-call, TLB and
// reschedule IPIs that reveal who else reaches into isolated cores.
std::unique_ptr<Collector> make_interrupts_collector(const CollectorEnv& env,
                                                     ConfigSection& section);

}  // namespace bmcquiet
