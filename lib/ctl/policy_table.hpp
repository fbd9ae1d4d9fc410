// Human tables for the policy's Status/Plan JSON (bmcquietctl status, plan,
// apply and check share them).
#pragma once

#include <string>

namespace bmcquiet::ctl {

// Both return "" when the JSON is not what the daemon sends.
std::string render_status(const std::string& status_json);
std::string render_plan(const std::string& plan_json);

}  // namespace bmcquiet::ctl
