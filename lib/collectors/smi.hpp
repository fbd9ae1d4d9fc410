#pragma once

#include <memory>

#include "collectors/collector.hpp"
#include "collectors/smi_sampler.hpp"
#include "core/config_section.hpp"

namespace bmcquiet {

// SMI counts (Intel MSR 0x34, AMD Zen PMC 0x2B, or the perf msr PMU) and CPU
// throttle signals, sampled so that isolated CPUs are left alone: see
// smi_sampler.hpp for how a round reads. Rounds run on a worker thread of their own
// (it pins itself onto housekeeping CPUs), never on the event loop.
std::unique_ptr<Collector> make_smi_collector(const CollectorEnv& env, ConfigSection& section);
// Same, with the hardware seams exposed for tests.
std::unique_ptr<Collector> make_smi_collector(const CollectorEnv& env, SmiSettings settings,
                                              SmiHardware hardware);

}  // namespace bmcquiet
