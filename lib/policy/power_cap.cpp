#include "policy/power_cap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace bmcquiet::policy {
namespace {

std::string watts(double w) { return fmt::format("{:.0f} W", w); }

std::string desired_text(double floor_watts) {
  return floor_watts > 0 ? fmt::format("none or >= {}", watts(floor_watts)) : "none";
}

// Why a HardPowerOff exception is not left alone: an inference host that
// briefly draws more than its cap is powered off mid-job, losing its work.
constexpr const char* kHardPowerOff =
    "LimitException HardPowerOff: the BMC powers the server off when it cannot hold the cap";

}  // namespace

PowerRange PowerRange::narrowed_by(const PowerRange& other) const {
  PowerRange r = *this;
  if (other.min && (!r.min || *other.min > *r.min)) r.min = other.min;
  if (other.max && (!r.max || *other.max < *r.max)) r.max = other.max;
  if (!other.source.empty() && (other.min || other.max))
    r.source = r.source.empty() ? other.source : r.source + " and " + other.source;
  return r;
}

std::string PowerRange::describe() const {
  const auto bound = [](const std::optional<double>& b) {
    return b ? fmt::format("{:.0f}", *b) : std::string("?");
  };
  return fmt::format("{}..{} W ({})", bound(min), bound(max), source);
}

std::string floor_outside_range(const PowerRange& range, double floor_watts,
                                const std::string& where) {
  const bool below = range.min && floor_watts < *range.min;
  const bool above = range.max && floor_watts > *range.max;
  if (!below && !above) return "";
  return fmt::format(
      "power_cap.floor_watts {} is {} the range {} allows ({}); not written: set floor_watts "
      "within it, or 0 to have the cap lifted",
      watts(floor_watts), below ? "below" : "above", where, range.describe());
}

Observation judge_power_cap(const PowerCapState& cap, double floor_watts) {
  const auto desired = desired_text(floor_watts);
  if (!cap.off_reason.empty()) {
    const auto configured =
        cap.limit_watts ? fmt::format(", {} configured", watts(*cap.limit_watts)) : "";
    return Observation::compliant(fmt::format("none ({}{})", cap.off_reason, configured), desired);
  }
  if (!cap.limit_watts) return Observation::compliant("none", desired);
  auto current = watts(*cap.limit_watts);
  if (cap.hard_power_off) current += ", LimitException HardPowerOff";
  const bool high_enough = floor_watts > 0 && *cap.limit_watts >= floor_watts;
  if (high_enough && !cap.hard_power_off) return Observation::compliant(current, desired);
  auto o = Observation::drifted(current, desired);
  if (!high_enough && floor_watts > 0)
    o.detail = floor_outside_range(cap.range, floor_watts, cap.where);
  if (cap.hard_power_off)
    o.detail += fmt::format("{}{}{}", o.detail.empty() ? "" : "; ", kHardPowerOff,
                            floor_watts > 0 ? "; enforce makes the exception log-only" : "");
  return o;
}

Observation judge_power_cap(std::optional<double> limit_watts, double floor_watts) {
  return judge_power_cap(PowerCapState{limit_watts, {}, false, {}, {}}, floor_watts);
}

bool is_watts(std::string_view units) {
  std::string u(units);
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::tolower(c); });
  return u == "w" || u == "watt" || u == "watts";
}

}  // namespace bmcquiet::policy
