#pragma once

#include <span>
#include <string>

namespace bmcquiet::ctl {

// `bmcquietctl check`: one-shot, read-only health report; no daemon needed.
int run_check(std::span<const std::string> args);

}  // namespace bmcquiet::ctl
