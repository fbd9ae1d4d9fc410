// The power_cap item's rules (policy/power_cap.hpp), shared by the Redfish
// and DCMI backends: the transports' tests drive them against simulators,
// these pin the decisions themselves.
#include <catch2/catch.hpp>

#include "policy/power_cap.hpp"

using namespace bmcquiet::policy;
using Status = Observation::Status;

TEST_CASE("power cap: a switched-off cap is compliant whatever limit it shows",
          "[policy][power_cap]") {
  PowerCapState cap{800.0, "ControlMode Disabled at /c", true, {}, "/c"};
  auto o = judge_power_cap(cap, 900);
  CHECK(o.status == Status::compliant);
  CHECK(o.current == "none (ControlMode Disabled at /c, 800 W configured)");
  CHECK(judge_power_cap(PowerCapState{}, 900).status == Status::compliant);
}

TEST_CASE("power cap: limit against the floor, HardPowerOff apart", "[policy][power_cap]") {
  PowerCapState cap{1000.0, "", false, {}, "/p"};
  CHECK(judge_power_cap(cap, 900).status == Status::compliant);
  CHECK(judge_power_cap(cap, 0).status == Status::drifted);  // no floor: any cap is drift
  cap.hard_power_off = true;
  auto o = judge_power_cap(cap, 900);
  CHECK(o.status == Status::drifted);
  CHECK(o.current == "1000 W, LimitException HardPowerOff");
  CHECK(o.detail.find("powers the server off") != std::string::npos);
  CHECK(o.detail.find("log-only") != std::string::npos);
  CHECK(o.detail.find("floor_watts") == std::string::npos);  // the limit itself is fine
}

TEST_CASE("power cap: a floor outside the advertised range is named, with both sources",
          "[policy][power_cap]") {
  const PowerRange control{150.0, 1000.0, "AllowableMin/AllowableMax of /c"};
  const PowerRange vendor{300.0, 900.0, "the vendor's thresholds in /d"};
  const auto range = control.narrowed_by(vendor);
  CHECK(range.min == 300.0);
  CHECK(range.max == 900.0);
  CHECK(floor_outside_range(range, 850, "/c").empty());
  const auto why = floor_outside_range(range, 1300, "/c");
  CHECK(why ==
        "power_cap.floor_watts 1300 W is above the range /c allows (300..900 W "
        "(AllowableMin/AllowableMax of /c and the vendor's thresholds in /d)); not written: set "
        "floor_watts within it, or 0 to have the cap lifted");
  CHECK(floor_outside_range(range, 200, "/c").find("below") != std::string::npos);
  CHECK(floor_outside_range(PowerRange{}, 1e6, "/c").empty());  // nothing advertised
  auto o = judge_power_cap(PowerCapState{700.0, "", false, range, "/c"}, 1300);
  CHECK(o.status == Status::drifted);
  CHECK(o.detail == why);
}

TEST_CASE("power cap: W, Watt and Watts are watts", "[policy][power_cap]") {
  for (const char* u : {"W", "Watt", "Watts", "watts"}) CHECK(is_watts(u));
  for (const char* u : {"%", "kW", "mW", ""}) CHECK_FALSE(is_watts(u));
}
