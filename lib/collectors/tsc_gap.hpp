#pragma once

#include <memory>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"

namespace bmcquiet {

// Time stolen from a housekeeping CPU, measured as gaps in a tight TSC loop
// (tsc_detector.hpp) or, with `backend: hwlat`, by the kernel's hwlat tracer.
std::unique_ptr<Collector> make_tsc_gap_collector(const CollectorEnv& env, ConfigSection& section);

}  // namespace bmcquiet
