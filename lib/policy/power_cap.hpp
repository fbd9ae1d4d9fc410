// The power_cap item's rules, shared by every transport (Redfish Control,
// legacy PowerControl, a vendor's OEM switch, DCMI): a cap that is switched off
// is compliant and stays off; a limit is compliant at or above the floor; a
// limit whose exception powers the server off is a finding of its own; and no
// value outside the range the BMC advertises is ever written.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "policy/item.hpp"

namespace bmcquiet::policy {

// What the BMC allows a limit to be set to, and who said so.
struct PowerRange {
  std::optional<double> min, max;
  std::string source;  // "AllowableMin/AllowableMax of <path>", "DellAttributes ... Thres"
  // Both bounds; a bound the other does not give is kept from this one.
  PowerRange narrowed_by(const PowerRange& other) const;
  std::string describe() const;  // "150..1000 W (AllowableMin/AllowableMax of /x)"
};

// One power limit as read from the BMC.
struct PowerCapState {
  std::optional<double> limit_watts;  // the limit in W; nullopt: none set
  // Non-empty: capping is switched off there ("ControlMode Disabled", ...),
  // whatever limit_watts shows. The policy never switches it back on.
  std::string off_reason;
  bool hard_power_off = false;  // the BMC powers the server off when it cannot hold the limit
  PowerRange range;
  std::string where;  // the resource (and member) holding the limit, for messages
};

Observation judge_power_cap(const PowerCapState& cap, double floor_watts);

// "" when the floor may be written; else what is wrong and what to do.
std::string floor_outside_range(const PowerRange& range, double floor_watts,
                                const std::string& where);

// The Redfish spellings of watts: "W", "Watt", "Watts" (any case).
bool is_watts(std::string_view units);

}  // namespace bmcquiet::policy
