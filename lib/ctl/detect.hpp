#pragma once

#include <span>
#include <string>

namespace bmcquiet::ctl {

// bmcquietctl detect: the TSC-gap detector once, without the daemon.
int run_detect(std::span<const std::string> args);

}  // namespace bmcquiet::ctl
