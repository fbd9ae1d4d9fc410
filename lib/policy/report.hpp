// JSON renderings of the engine's status and plan: the D-Bus Status/Plan
// replies and `bmcquietctl check --json` share them.
#pragma once

#include <string>
#include <vector>

#include "policy/engine.hpp"

namespace bmcquiet::policy {

std::string status_json(const EngineStatus& status);
std::string plan_json(const std::vector<PlannedChange>& plan);

}  // namespace bmcquiet::policy
