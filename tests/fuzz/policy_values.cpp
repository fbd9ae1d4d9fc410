// What the policy does with numbers and values a BMC reports, through its
// public rules: the power limit and range (any double, NaN and inf
// included, as Boost.JSON gives 1e999), the floor against that range, a
// HostWatchdogTimer's timeout property and a property's value as a table
// shows it. The input is one JSON object, e.g.
// {"limit":1205,"min":150,"max":1e308,"floor":-1,"off":"","hard":true,
//  "HostWatchdogTimer":{"TimeoutMs":-1}}.
// (The SEL's count and capacity checks are reached through the HTTP client
// only: tests/integration/test_policy_sel_safety.cpp feeds them -1, 4.5 and
// 1e19 under the ASan pass, which checks float-cast-overflow.)
#include "fuzz_common.hpp"
#include "policy/power_cap.hpp"
#include "policy/redfish_items.hpp"
#include "redfish/json.hpp"

using namespace bmcquiet::policy;
using bmcquiet::redfish::Json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  auto in = Json::parse(bmcquiet::fuzz::text(data, size));
  if (!in) return 0;
  PowerCapState cap;
  cap.limit_watts = (*in)["limit"].number();
  cap.off_reason = (*in)["off"].string().value_or("");
  cap.hard_power_off = (*in)["hard"].boolean().value_or(false);
  cap.range = {(*in)["min"].number(), (*in)["max"].number(), "AllowableMin/AllowableMax of /x"};
  cap.where = "/redfish/v1/Chassis/1/Controls/Power";
  const PowerRange vendor{(*in)["vendor_min"].number(), (*in)["vendor_max"].number(), "Dell"};
  cap.range = cap.range.narrowed_by(vendor);
  (void)cap.range.describe();
  const double floor = (*in)["floor"].number().value_or(0);
  (void)judge_power_cap(cap, floor);
  (void)floor_outside_range(cap.range, floor, cap.where);
  (void)is_watts((*in)["units"].string().value_or("W"));
  (void)watchdog_timeout_of((*in)["HostWatchdogTimer"]);
  (void)describe_json_value(in->dump());
  for (const auto& key : in->keys()) (void)describe_json_value((*in)[key].dump());
  return 0;
}
