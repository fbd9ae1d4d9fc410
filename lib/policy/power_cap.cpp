#include <fmt/format.h>

#include "policy/item.hpp"

namespace bmcquiet::policy {

Observation judge_power_cap(std::optional<double> limit_watts, double floor_watts) {
  const auto desired =
      floor_watts > 0 ? fmt::format("none or >= {:.0f} W", floor_watts) : std::string("none");
  if (!limit_watts) return Observation::compliant("none", desired);
  const auto current = fmt::format("{:.0f} W", *limit_watts);
  return floor_watts > 0 && *limit_watts >= floor_watts ? Observation::compliant(current, desired)
                                                        : Observation::drifted(current, desired);
}

}  // namespace bmcquiet::policy
