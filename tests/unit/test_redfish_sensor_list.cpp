// Which members of a Sensors collection every poll reads when the BMC
// cannot expand it (discovery.hpp): bmcweb's typed Ids, untyped Ids, and the
// list read again on the slow schedule.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "redfish/discovery.hpp"

using namespace bmcquiet::redfish;

TEST_CASE("sensors one by one: which members every poll reads", "[redfish][readers]") {
  const auto list = [](std::initializer_list<std::string> ids) {
    std::string body = R"({"Members":[)";
    for (const auto& id : ids)
      body += (body.back() == '[' ? "" : ",") +
              fmt::format(R"({{"@odata.id":"/redfish/v1/Chassis/c/Sensors/{}"}})", id);
    auto parsed = Json::parse(body + "]}");
    REQUIRE(parsed);
    return *parsed;
  };
  const auto link = [](const std::string& id) { return "/redfish/v1/Chassis/c/Sensors/" + id; };
  SECTION("bmcweb's Ids name the type: only temperatures and fans are read") {
    ChassisModel c;
    take_sensor_list(c, list({"voltage_P12V", "temperature_CPU1", "power_total_power",
                              "fan_tach_Fan0", "current_PSU0", "fanpwm_Pwm0"}));
    CHECK(c.sensors_one_by_one);
    CHECK(c.sensor_list.size() == 6);
    CHECK(c.sensor_members == std::vector<std::string>{link("fan_tach_Fan0"), link("fanpwm_Pwm0"),
                                                       link("temperature_CPU1")});
  }
  SECTION("Ids that do not say: all are read until one reads as neither") {
    ChassisModel c;
    take_sensor_list(c, list({"GPU0_Power", "GPU0_Temp", "temperature_CPU1"}));
    REQUIRE(c.sensor_members.size() == 3);
    std::erase(c.sensor_members, link("GPU0_Power"));  // what a poll learnt
    // The list read again on the slow schedule: the dropped one stays out,
    // a new one is read, a removed one is gone.
    take_sensor_list(c, list({"GPU0_Temp", "GPU0_Power", "GPU1_Temp"}));
    CHECK(c.sensor_members == std::vector<std::string>{link("GPU0_Temp"), link("GPU1_Temp")});
  }
}
