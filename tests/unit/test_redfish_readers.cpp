// The readers and the vendor OEM readers on small bodies shaped like real
// BMCs' (iDRAC9, iLO 5, Supermicro X13, OpenBMC, HGX trees): what is a
// reading, whose power it is, which log is the SEL, and where the vendor's
// switch overrides the standard property.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "redfish/oem.hpp"
#include "redfish/readers.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace bmcquiet::redfish;

namespace {

Json parse(const std::string& text) {
  auto j = Json::parse(text);
  REQUIRE(j);
  return *j;
}

const ChassisContext kServer{"System.Embedded.1", "server", true};
const ChassisContext kGpu{"HGX_GPU_SXM_3", "gpu", false};

const SensorReading* temperature(const Snapshot& s, const std::string& id) {
  for (const auto& t : s.temperatures)
    if (t.id == id) return &t;
  return nullptr;
}

const FanReading* fan(const Snapshot& s, const std::string& id) {
  for (const auto& f : s.fans)
    if (f.id == id) return &f;
  return nullptr;
}

const OemDisagreement* disagreement(const Snapshot& s, const std::string& setting) {
  for (const auto& d : s.disagreements)
    if (d.setting == setting) return &d;
  return nullptr;
}

std::string sensor(const std::string& id, const std::string& name, const std::string& fields) {
  return R"({"@odata.id":"/redfish/v1/Chassis/1/Sensors/)" + id + R"(","Id":")" + id +
         R"(","Name":")" + name + R"(",)" + fields + "}";
}

// An expanded Sensors collection of these members.
Json collection(std::initializer_list<std::string> members) {
  std::string body = R"({"Members":[)";
  for (const auto& m : members) body += (body.back() == '[' ? "" : ",") + m;
  return parse(body + "]}");
}

}  // namespace

TEST_CASE("sensors: absent, disabled and standby sensors give no reading", "[redfish][readers]") {
  Snapshot s;
  for (const char* state : {"Absent", "Disabled", "StandbyOffline"})
    read_sensor(parse(sensor(std::string("T") + state, "PCIe Slot Temp",
                             R"("ReadingUnits":"Cel","Reading":0,"Status":{"State":")" +
                                 std::string(state) + R"("})")),
                kServer, s);
  // Health alone does not hide a reading: a hot sensor is the one to see.
  read_sensor(parse(sensor("CPU1Temp", "CPU1 Temp",
                           R"("ReadingType":"Temperature","ReadingUnits":"Cel","Reading":96,
                              "Status":{"State":"Enabled","Health":"Critical"})")),
              kServer, s);
  REQUIRE(s.temperatures.size() == 1);
  CHECK(s.temperatures[0].value == 96.0);

  Snapshot legacy;  // iLO 5: empty PCIe slots are Absent with ReadingCelsius 0
  read_legacy_thermal(parse(R"({"Temperatures":[
      {"MemberId":"24","Name":"24-PCI 17","ReadingCelsius":0,"Status":{"State":"Absent"}},
      {"MemberId":"25","Name":"25-PCI 17 Zone","ReadingCelsius":43,"Status":{"State":"Enabled"}}],
    "Fans":[{"MemberId":"5","Name":"Fan 6","Reading":0,"ReadingUnits":"Percent",
             "Status":{"State":"Absent"}}]})"),
                      {"1", "server", true}, legacy);
  REQUIRE(legacy.temperatures.size() == 1);
  CHECK(legacy.temperatures[0].id == "25");
  CHECK(legacy.temperatures[0].name == "25-PCI 17 Zone");
  CHECK(legacy.fans.empty());
}

TEST_CASE("sensors: only Celsius is a temperature; discrete flags and margins are not",
          "[redfish][readers]") {
  Snapshot s;
  read_sensors(
      collection(
          {sensor("CPU0_OverTemp", "CPU0 Over Temperature",
                  R"("ReadingType":"Temperature","Reading":0)"),
           sensor("GPU1_Throttle", "GPU1 Thermal Trip",
                  R"("ReadingType":"Temperature","Reading":1,"ReadingUnits":null)"),
           sensor("CPU0_DTS", "CPU0 DTS Margin",
                  R"("ReadingType":"Temperature","ReadingUnits":"Cel","Reading":-51)"),
           sensor("CPU1_Margin", "CPU1 Thermal Headroom", R"("ReadingUnits":"Cel","Reading":22)"),
           sensor("PSU1Voltage", "PS1 Voltage 1", R"("ReadingUnits":"V","Reading":240)"),
           sensor("SystemBoardInletTemp", "System Board Inlet Temp",
                  R"("ReadingType":"Temperature","ReadingUnits":"Cel","Reading":25)")}),
      kServer, s);
  REQUIRE(s.temperatures.size() == 1);
  CHECK(s.temperatures[0].id == "SystemBoardInletTemp");
  CHECK(s.temperatures[0].name == "System Board Inlet Temp");
  CHECK(s.temperatures[0].chassis == "System.Embedded.1");

  Snapshot metrics;  // ThermalMetrics: labelled by the sensor's Id, margins dropped
  read_thermal_metrics(parse(R"({"TemperatureReadingsCelsius":[
      {"Reading":37,"DeviceName":"Internal","DataSourceUri":"/redfish/v1/Chassis/1/Sensors/CPU1Temp"},
      {"Reading":-40,"DeviceName":"Internal","DataSourceUri":"/redfish/v1/Chassis/1/Sensors/CPU1DTS"}]})"),
                       kServer, metrics);
  REQUIRE(metrics.temperatures.size() == 1);
  CHECK(metrics.temperatures[0].id == "CPU1Temp");
}

TEST_CASE("sensors: labels carry the Name, the Id keeps same-named sensors apart",
          "[redfish][readers]") {
  Snapshot s;
  for (const char* id : {"GPU_0_TEMP_0", "GPU_1_TEMP_0"})
    read_sensor(parse(sensor(id, "GPU Temp", R"("ReadingUnits":"Cel","Reading":41)")), kGpu, s);
  REQUIRE(s.temperatures.size() == 2);
  CHECK(s.temperatures[0].name == "GPU Temp");
  CHECK(s.temperatures[0].id != s.temperatures[1].id);
  // Unnamed: the Id is the name too.
  read_sensor(parse(R"({"Id":"Inlet","ReadingUnits":"Cel","Reading":20})"), kGpu, s);
  REQUIRE(temperature(s, "Inlet"));
  CHECK(temperature(s, "Inlet")->name == "Inlet");
}

TEST_CASE("fans: ThermalSubsystem/Fans members, fan sensors, not other percentages",
          "[redfish][readers]") {
  Snapshot s;
  const ChassisContext chassis{"1U", "server", true};
  read_fan(parse(R"({"@odata.id":"/redfish/v1/Chassis/1U/ThermalSubsystem/Fans/Bay1","Id":"Bay1",
      "Name":"Fan Bay 1","PhysicalContext":"Chassis","Status":{"State":"Enabled"},
      "SpeedPercent":{"Reading":45,"SpeedRPM":2200,
                      "DataSourceUri":"/redfish/v1/Chassis/1U/Sensors/FanBay1"}})"),
           chassis, s);
  read_fan(parse(R"({"@odata.id":"/redfish/v1/Chassis/1U/ThermalSubsystem/Fans/Fan.Embedded.1A",
      "Id":"Fan.Embedded.1A","Name":"Fan 1A","SpeedPercent":{"SpeedRPM":18600}})"),
           chassis, s);
  read_fan(parse(R"({"Id":"Bay3","Name":"Fan Bay 3","Status":{"State":"Absent"},
      "SpeedPercent":{"Reading":0}})"),
           chassis, s);
  REQUIRE(fan(s, "Bay1"));
  CHECK(fan(s, "Bay1")->name == "Fan Bay 1");
  CHECK(fan(s, "Bay1")->ratio == Approx(0.45));
  CHECK(fan(s, "Bay1")->rpm == 2200.0);
  REQUIRE(fan(s, "Fan.Embedded.1A"));
  CHECK(fan(s, "Fan.Embedded.1A")->rpm == 18600.0);
  CHECK_FALSE(fan(s, "Bay3"));

  Snapshot sensors;
  read_sensors(collection({sensor("CPUFan1", "CPU #1 Fan Speed",
                                  R"("ReadingType":"Percent","ReadingUnits":"%","Reading":45,
                                     "PhysicalContext":"CPU")"),
                           sensor("SystemBoardCPUUsage", "System Board CPU Usage",
                                  R"("ReadingType":"Percent","ReadingUnits":"%","Reading":3)"),
                           sensor("Fan.Embedded.2A", "System Board Fan2A",
                                  R"("ReadingType":"Rotational","ReadingUnits":"RPM",
                                     "Reading":18600)")}),
               chassis, sensors);
  CHECK(sensors.fans.size() == 2);
  CHECK(fan(sensors, "CPUFan1")->ratio == Approx(0.45));
  CHECK(fan(sensors, "Fan.Embedded.2A")->name == "System Board Fan2A");
}

TEST_CASE("power: each chassis' draw apart, the server's only from the server chassis",
          "[redfish][readers]") {
  const auto gpu_metrics = parse(R"({"PowerWatts":{"Reading":698}})");
  const auto server_power = parse(R"({"PowerControl":[{"MemberId":"0","PowerConsumedWatts":2161,
      "PowerLimit":{"LimitInWatts":null}}],
    "PowerSupplies":[{"MemberId":"0","PowerInputWatts":361,"Status":{"State":"Enabled"}},
                     {"MemberId":"1","PowerInputWatts":363},
                     {"MemberId":"5","PowerInputWatts":null},
                     {"MemberId":"6","LastPowerOutputWatts":320,"Status":{"State":"Absent"}}]})");
  auto check = [](Snapshot& s) {
    settle_power(s);
    CHECK(s.power_consumed_watts == 2161.0);
    CHECK(s.power_consumed_source == "chassis:System.Embedded.1");
    CHECK(s.chassis_power.size() == 3);
    const auto watts = [&](const std::string& chassis, const std::string& role) {
      for (const auto& p : s.chassis_power)
        if (p.chassis == chassis && p.role == role) return p.watts;
      return -1.0;
    };
    CHECK(watts("HGX_GPU_SXM_3", "gpu") == 698.0);
    CHECK(watts("System.Embedded.1", "server") == 2161.0);
    CHECK(watts("System.Embedded.1", "power_supply") == 724.0);  // absent/null PSUs left out
  };
  Snapshot gpu_first, server_first;
  read_environment(gpu_metrics, kGpu, gpu_first);
  read_legacy_power(server_power, "/redfish/v1/Chassis/System.Embedded.1/Power", kServer,
                    gpu_first);
  read_legacy_power(server_power, "/redfish/v1/Chassis/System.Embedded.1/Power", kServer,
                    server_first);
  read_environment(gpu_metrics, kGpu, server_first);
  check(gpu_first);
  check(server_first);
}

TEST_CASE("settle_power: the server's chassis, else the supplies' input, never a device's",
          "[redfish][readers]") {
  const ChassisContext psu1{"PSU1", "power_supply", false}, psu2{"PSU2", "power_supply", false};
  const auto reading = [](double w) {
    return parse(R"({"PowerWatts":{"Reading":)" + std::to_string(w) + "}}");
  };
  Snapshot server;
  read_environment(reading(1200), psu1, server);
  read_environment(reading(3100), kServer, server);
  settle_power(server);
  CHECK(server.power_consumed_watts == 3100.0);

  Snapshot supplies;  // an HGX tree whose server chassis reports no draw
  read_environment(reading(700), kGpu, supplies);
  read_environment(reading(1500), psu1, supplies);
  read_environment(reading(1450), psu2, supplies);
  settle_power(supplies);
  CHECK(supplies.power_consumed_watts == 2950.0);
  CHECK(supplies.power_consumed_source == "psu_input");
  settle_power(supplies);  // settling twice changes nothing
  CHECK(supplies.power_consumed_watts == 2950.0);

  Snapshot device_only;
  read_environment(reading(700), kGpu, device_only);
  settle_power(device_only);
  CHECK_FALSE(device_only.power_consumed_watts);
  CHECK(device_only.power_consumed_source.empty());
}

TEST_CASE("PowerSubsystem: each supply's Metrics add to the chassis' supply draw",
          "[redfish][readers]") {
  const auto metrics = [](const std::string& fields) {
    return parse(R"({"@odata.id":"/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies/Bay1/)"
                 R"(Metrics","Id":"Metrics",)" +
                 fields + "}");
  };
  Snapshot s;  // DMTF public-rackmount1 and iDRAC9 shapes: input where measured, else output
  read_power_supply_metrics(metrics(R"("InputPowerWatts":{"Reading":937.4},)"
                                    R"("OutputPowerWatts":{"Reading":900})"),
                            kServer, s);
  read_power_supply_metrics(metrics(R"("OutputPowerWatts":{"Reading":273})"), kServer, s);
  read_power_supply_metrics(metrics(R"("InputPowerWatts":{"Reading":null})"), kServer, s);
  read_power_supply_metrics(
      metrics(R"("Status":{"State":"Absent"},"InputPowerWatts":{"Reading":5})"), kServer, s);
  REQUIRE(s.chassis_power.size() == 1);
  CHECK(s.chassis_power[0].chassis == "System.Embedded.1");
  CHECK(s.chassis_power[0].role == "power_supply");
  CHECK(s.chassis_power[0].watts == Approx(1210.4));
  CHECK_FALSE(s.power_consumed_watts);  // a supply's draw is not the server's reading
  settle_power(s);
  CHECK(s.power_consumed_watts == Approx(1210.4));
  CHECK(s.power_consumed_source == "psu_input");

  Snapshot both;  // the server chassis' own draw wins over its supplies
  read_power_supply_metrics(metrics(R"("InputPowerWatts":{"Reading":400})"), kServer, both);
  read_environment(parse(R"({"PowerWatts":{"Reading":374}})"), kServer, both);
  settle_power(both);
  CHECK(both.power_consumed_watts == 374.0);
}

TEST_CASE("sensors one by one: is a sensor read once a temperature or a fan?",
          "[redfish][readers]") {
  CHECK(temperature_or_fan(parse(sensor("T", "Inlet", R"("Reading":null,"ReadingUnits":"Cel")"))));
  CHECK(temperature_or_fan(parse(sensor("F", "Fan0", R"("ReadingType":"Rotational")"))));
  CHECK(temperature_or_fan(parse(
      sensor("P", "Fan0 PWM", R"("ReadingType":"Percent","ReadingUnits":"%","Reading":40)"))));
  CHECK_FALSE(temperature_or_fan(
      parse(sensor("V", "P12V", R"("ReadingType":"Voltage","ReadingUnits":"V")"))));
  CHECK_FALSE(temperature_or_fan(
      parse(sensor("O", "GPU Overtemp", R"("ReadingType":"Temperature","Reading":0)"))));  // a flag
}

TEST_CASE("controls: units, disabled controls, device limits apart from the server's",
          "[redfish][readers]") {
  const auto control = [](const std::string& fields) {
    return parse(R"({"@odata.id":"/redfish/v1/Chassis/X/Controls/PowerLimit",
                     "ControlType":"Power",)" +
                 fields + "}");
  };
  for (const char* unit : {"W", "Watt", "Watts"}) {
    Snapshot s;
    read_control(control(R"("SetPoint":800,"SetPointUnits":")" + std::string(unit) +
                         R"(","AllowableMax":1000,"AllowableMin":150)"),
                 kServer, s);
    INFO(unit);
    CHECK(s.power_limit.watts == 800.0);
    CHECK(s.power_limit.allowable_max == 1000.0);
    CHECK(s.power_limit.allowable_min == 150.0);
  }
  Snapshot disabled;
  read_control(control(R"("SetPoint":800,"SetPointUnits":"W","ControlMode":"Disabled")"), kServer,
               disabled);
  CHECK(disabled.power_limit.known);
  CHECK_FALSE(disabled.power_limit.watts);

  Snapshot devices;  // a GPU's limit and a CPU domain inside the server are not the server's
  read_control(control(R"("SetPoint":700,"SetPointUnits":"W","PhysicalContext":"GPU")"), kGpu,
               devices);
  read_control(control(R"("SetPoint":350,"SetPointUnits":"W","PhysicalContext":"CPU")"), kServer,
               devices);
  read_control(parse(R"({"ControlType":"Frequency","SetPoint":2400})"), kServer, devices);
  CHECK_FALSE(devices.power_limit.known);
  REQUIRE(devices.device_limits.size() == 1);
  CHECK(devices.device_limits[0].chassis == "HGX_GPU_SXM_3");
  CHECK(devices.device_limits[0].role == "gpu");
  CHECK(devices.device_limits[0].watts == 700.0);

  Snapshot excerpt;  // EnvironmentMetrics.PowerLimitWatts
  read_environment(parse(R"({"PowerWatts":{"Reading":374},"PowerLimitWatts":{"SetPoint":500,
      "AllowableMax":1000,"ControlMode":"Automatic",
      "DataSourceUri":"/redfish/v1/Chassis/1U/Controls/PowerLimit"}})"),
                   kServer, excerpt);
  CHECK(excerpt.power_limit.watts == 500.0);
  CHECK(excerpt.power_limit.path == "/redfish/v1/Chassis/1U/Controls/PowerLimit");
}

TEST_CASE("logs: only the SEL is the SEL", "[redfish][readers]") {
  struct Case {
    const char* body;
    const char* path;
    const char* kind;
  } cases[] = {
      {R"({"Id":"Sel","Name":"SEL Log Service","LogEntryType":"SEL","MaxNumberOfRecords":1024})",
       "/redfish/v1/Managers/iDRAC.Embedded.1/LogServices/Sel", "sel"},
      {R"({"Id":"FaultList","Name":"FaultListEntries","LogEntryType":"SEL"})",
       "/redfish/v1/Managers/iDRAC.Embedded.1/LogServices/FaultList", "diagnostic"},
      {R"({"Id":"Lclog","Name":"LifeCycle Controller Log Service","LogEntryType":"OEM"})",
       "/redfish/v1/Managers/iDRAC.Embedded.1/LogServices/Lclog", "other"},
      {R"({"Id":"IML","Name":"Integrated Management Log"})",
       "/redfish/v1/Systems/1/LogServices/IML/", "other"},
      {R"({"Id":"IEL","Name":"iLO Event Log"})", "/redfish/v1/Managers/1/LogServices/IEL/",
       "event"},
      {R"({"Id":"Log1","Name":"Health Event Log Service","LogEntryType":"SEL"})",
       "/redfish/v1/Systems/1/LogServices/Log1", "sel"},
      {R"({"Id":"Log1","Name":"Maintenance Event Log Service","LogEntryType":"OEM",
           "MaxNumberOfRecords":512})",
       "/redfish/v1/Managers/1/LogServices/Log1", "event"},
      {R"({"Id":"DiagnosticLog","Name":"Diagnostic Log","MaxNumberOfRecords":100})",
       "/redfish/v1/Systems/system/LogServices/DiagnosticLog", "diagnostic"},
      {R"({"Id":"Crashdump","Name":"Open BMC Crashdump Service"})",
       "/redfish/v1/Systems/system/LogServices/Crashdump", "diagnostic"},
      {R"({"Id":"EventLog","Name":"Event Log Service"})",
       "/redfish/v1/Systems/system/LogServices/EventLog", "event"},
      {R"({"Id":"IpmiLog","Name":"IPMI SEL"})", "/redfish/v1/Managers/bmc/LogServices/IpmiLog",
       "sel"},
      {R"({"Id":"SystemLog","Name":"System Event Log"})",
       "/redfish/v1/Managers/bmc/LogServices/SystemLog", "sel"},
      {R"({"Id":"Journal","Name":"Open BMC Journal Log Service"})",
       "/redfish/v1/Managers/bmc/LogServices/Journal", "other"},
      // Words, not fragments: "Default" holds no fault, "Self" no SEL.
      {R"({"Id":"Default","Name":"Default Log Service"})",
       "/redfish/v1/Managers/bmc/LogServices/Default", "other"},
      {R"({"Id":"SelfTest","Name":"Self Test Results"})",
       "/redfish/v1/Managers/bmc/LogServices/SelfTest", "other"},
      {R"({"Id":"IpmiSel"})", "/redfish/v1/Managers/bmc/LogServices/IpmiSel", "sel"},
      {R"({"Id":"HostDump","Name":"Host Dump LogService"})",
       "/redfish/v1/Systems/system/LogServices/HostDump", "diagnostic"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    const auto log = read_log_service(parse(c.body), c.path, "");
    CHECK(log.kind == c.kind);
  }
  // A full DiagnosticLog keeps its capacity, under its own kind.
  const auto diag = read_log_service(parse(cases[7].body), cases[7].path, "system");
  CHECK(diag.id == "system/DiagnosticLog");
  CHECK(diag.capacity == 100.0);
  // A Lifecycle log's 500000 is a plausible log size, never a SEL's.
  const auto lc =
      read_log_service(parse(R"({"Id":"Lclog","LogEntryType":"OEM","MaxNumberOfRecords":500000})"),
                       cases[2].path, "");
  CHECK(lc.capacity == 500000.0);
  const auto sel = read_log_service(
      parse(R"({"Id":"Sel","LogEntryType":"SEL","MaxNumberOfRecords":500000})"), cases[0].path, "");
  CHECK_FALSE(sel.capacity);
  CHECK(sel.capacity_problem.find("not a plausible SEL capacity") != std::string::npos);
  CHECK(sel.id == "manager/Sel");
}

TEST_CASE("counts: absurd Members@odata.count values are rejected", "[redfish][readers]") {
  const auto count = [](const std::string& body) { return count_members(parse(body)); };
  for (const char* bad : {"-1", "1e12", "2.5", "\"NaN\"", "null", "1e999"}) {
    INFO(bad);
    CHECK(count(std::string(R"({"Members":[{},{},{}],"Members@odata.count":)") + bad + "}") == 3.0);
    CHECK_FALSE(count(std::string(R"({"Members":[{}],"Members@odata.count":)") + bad +
                      R"(,"Members@odata.nextLink":"/redfish/v1/X?$skip=1"})"));
  }
  CHECK(count(R"({"Members":[{}],"Members@odata.count":509,
                  "Members@odata.nextLink":"/redfish/v1/X?$skip=1"})") == 509.0);
  CHECK(count(R"({"Members":[],"Members@odata.count":0})") == 0.0);
  CHECK_FALSE(count(R"({"Name":"not a collection"})"));
}

TEST_CASE("media: slots of the Manager and the System stay apart", "[redfish][readers]") {
  const auto body = parse(R"({"Id":"CD","Inserted":true,"ConnectedVia":"URI"})");
  const auto manager = read_media(body, "/redfish/v1/Managers/1/VirtualMedia/CD", "");
  const auto system = read_media(body, "/redfish/v1/Systems/1/VirtualMedia/CD", "");
  CHECK(manager.id == "manager/CD");
  CHECK(system.id == "system/CD");
  CHECK(read_media(body, "/redfish/v1/Managers/1/VirtualMedia/CD", "system").id == "system/CD");
  CHECK(system.connected == true);
}

namespace {

// An iDRAC9's Manager, shaped like the real one: the DellAttributes links it
// advertises (here without the LifecycleController set) among other OEM links.
const char* kDellManager = R"({"@odata.id":"/redfish/v1/Managers/iDRAC.Embedded.1",
  "Manufacturer":"Dell Inc.","SerialConsole":{"ServiceEnabled":false,"MaxConcurrentSessions":0},
  "Links":{"Oem":{"Dell":{"DellAttributes":[
    {"@odata.id":"/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellAttributes/iDRAC.Embedded.1"},
    {"@odata.id":"/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellAttributes/System.Embedded.1"},
    {"@odata.id":"https://203.0.113.9/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellAttributes/LifecycleController.Embedded.1"},
    {"@odata.id":"/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellAttributes/Other.Embedded.1"}],
    "DellJobService":{"@odata.id":"/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellJobService"}}}}})";

const std::string kIdracAttributes =
    "/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellAttributes/iDRAC.Embedded.1";
const std::string kSystemAttributes =
    "/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellAttributes/System.Embedded.1";

Json idrac_attributes(const char* sol, const char* serial, const char* lan) {
  return parse(fmt::format(R"({{"Id":"iDRACAttributes","Attributes":{{
      "IPMISOL.1.Enable":"{}","SerialRedirection.1.Enable":"{}","IPMILan.1.Enable":"{}",
      "VirtualConsole.1.Enable":"Enabled","IPMILan.1.EncryptionKey":"0000000000"}}}})",
                           sol, serial, lan));
}

Json system_attributes(const char* cap_setting) {
  return parse(fmt::format(R"({{"Id":"SystemAttributes","Attributes":{{
      "ServerPwr.1.PowerCapSetting":"{}","ServerPwr.1.PowerCapValue":1205,
      "ServerPwr.1.PowerCapMaxThres":1441,"ServerPwr.1.PowerCapMinThres":898}}}})",
                           cap_setting));
}

void read_standard(Snapshot& s, std::optional<double> limit) {
  read_manager(parse(kDellManager), s);
  read_system(parse(R"({"Manufacturer":"Dell Inc."})"), s);  // no SerialConsole at all
  read_network_protocol(parse(R"({"IPMI":{"ProtocolEnabled":false}})"), s);
  const auto watts = limit ? fmt::format("{}", *limit) : std::string("null");
  read_legacy_power(parse(R"({"PowerControl":[{"PowerConsumedWatts":614,
      "PowerLimit":{"LimitException":"HardPowerOff","LimitInWatts":)" +
                          watts + "}}]}"),
                    "/redfish/v1/Chassis/System.Embedded.1/Power", kServer, s);
}

void read_dell(Snapshot& s, const Json& idrac, const Json& system) {
  const auto* dell = vendor_oem_for(parse(kDellManager), Json());
  REQUIRE(dell);
  dell->read(kIdracAttributes, idrac, s);
  dell->read(kSystemAttributes, system, s);
}

}  // namespace

TEST_CASE("OEM: vendors are recognised by the resources they advertise", "[redfish][oem]") {
  const auto* dell = vendor_oem_for(parse(kDellManager), Json());
  REQUIRE(dell);
  CHECK(dell->name() == "dell");
  // Only the attribute sets it lists, only on this BMC: never an absolute link elsewhere.
  CHECK(dell->resources(parse(kDellManager), Json()) ==
        std::vector<std::string>{kIdracAttributes, kSystemAttributes});
  const auto smc = parse(R"({"Oem":{"Supermicro":{
      "FanMode":{"@odata.id":"/redfish/v1/Managers/1/Oem/Supermicro/FanMode"}}}})");
  REQUIRE(vendor_oem_for(smc, Json()));
  CHECK(vendor_oem_for(smc, Json())->name() == "supermicro");
  CHECK_FALSE(vendor_oem_for(parse(R"({"Manufacturer":"OpenBMC"})"), Json()));
}

TEST_CASE("OEM: Dell's attributes decide, whichever is read first", "[redfish][oem]") {
  Snapshot standard_first, dell_first;
  read_standard(standard_first, 1205);
  read_dell(standard_first, idrac_attributes("Enabled", "Enabled", "Enabled"),
            system_attributes("Disabled"));
  read_dell(dell_first, idrac_attributes("Enabled", "Enabled", "Enabled"),
            system_attributes("Disabled"));
  read_standard(dell_first, 1205);
  for (const auto* s : {&standard_first, &dell_first}) {
    CHECK(s->ipmi_sol_enabled == true);
    CHECK(s->serial_console_enabled == true);
    CHECK(s->ipmi_enabled == true);
    CHECK(s->power_limit.known);
    CHECK_FALSE(s->power_limit.watts);  // PowerCapSetting Disabled: no active cap
    CHECK(s->power_limit.inactive_watts == 1205.0);
    CHECK(s->power_limit.path == "/redfish/v1/Chassis/System.Embedded.1/Power");
    CHECK(s->power_limit.allowable_max == 1441.0);
    REQUIRE(s->disagreements.size() == 4);
    REQUIRE(disagreement(*s, "ipmi_sol"));
    CHECK(disagreement(*s, "ipmi_sol")->standard == "absent");
    CHECK(disagreement(*s, "ipmi_sol")->oem == "Enabled");
    CHECK(disagreement(*s, "ipmi_sol")->source ==
          "DellAttributes iDRAC.Embedded.1 IPMISOL.1.Enable");
    CHECK(disagreement(*s, "serial_console")->standard == "disabled");
    CHECK(disagreement(*s, "ipmi_lan")->standard == "disabled");
    CHECK(disagreement(*s, "power_cap")->standard == "1205 W");
    CHECK(disagreement(*s, "power_cap")->oem == "Disabled");
    CHECK(disagreement(*s, "power_cap")->source ==
          "DellAttributes System.Embedded.1 ServerPwr.1.PowerCapSetting");
    for (const auto& d : s->disagreements)  // no attribute value that is not the switch's
      CHECK(d.standard.find("0000000000") == std::string::npos);
  }
}

TEST_CASE("OEM: Dell switches that agree with the standard show no disagreement",
          "[redfish][oem]") {
  Snapshot agree;
  read_standard(agree, 1205);
  read_dell(agree, idrac_attributes("Disabled", "Disabled", "Disabled"),
            system_attributes("Enabled"));
  CHECK(agree.power_limit.watts == 1205.0);
  CHECK(agree.ipmi_sol_enabled == false);  // standard absent, OEM Disabled: agreement
  CHECK(agree.disagreements.empty());
  CHECK(agree.oem_decisions.size() == 4);

  Snapshot no_standard_cap;  // cap enabled in Dell settings, LimitInWatts null
  read_dell(no_standard_cap, idrac_attributes("Disabled", "Disabled", "Disabled"),
            system_attributes("Enabled"));
  read_standard(no_standard_cap, std::nullopt);
  CHECK(no_standard_cap.power_limit.watts == 1205.0);
  REQUIRE(disagreement(no_standard_cap, "power_cap"));
  CHECK(disagreement(no_standard_cap, "power_cap")->standard == "none");
}

TEST_CASE("OEM: the writable switches and their quiet values", "[redfish][oem]") {
  const auto* dell = vendor_oem_for(parse(kDellManager), Json());
  REQUIRE(dell);
  auto switches =
      dell->switches(kIdracAttributes, idrac_attributes("Enabled", "Enabled", "Enabled"));
  std::vector<std::string> settings;
  for (const auto& sw : switches) {
    settings.push_back(sw.setting);
    CHECK(sw.path == kIdracAttributes);
    CHECK(sw.keys.front() == "Attributes");
    CHECK(sw.quiet_json == R"("Disabled")");
  }
  CHECK(settings == std::vector<std::string>{"ipmi_sol", "serial_console", "ipmi_lan", "kvm"});
  auto cap = dell->switches(kSystemAttributes, system_attributes("Enabled"));
  REQUIRE(cap.size() == 1);
  CHECK(cap[0].keys == std::vector<std::string>{"Attributes", "ServerPwr.1.PowerCapSetting"});

  const auto smc_manager = parse(R"({"Oem":{"Supermicro":{
      "FanMode":{"@odata.id":"/redfish/v1/Managers/1/Oem/Supermicro/FanMode"}}}})");
  const auto* smc = vendor_oem_for(smc_manager, Json());
  REQUIRE(smc);
  const auto fan_mode =
      parse(R"({"Id":"Fan Mode","Mode":"Optimal","Mode@Redfish.AllowableValues":["FullSpeed",
               "Optimal","HeavyIO"]})");
  auto fans = smc->switches("/redfish/v1/Managers/1/Oem/Supermicro/FanMode", fan_mode);
  REQUIRE(fans.size() == 1);
  CHECK(fans[0].setting == "fans");
  CHECK(fans[0].quiet_json == R"("FullSpeed")");
  Snapshot untouched;
  smc->read("/redfish/v1/Managers/1/Oem/Supermicro/FanMode", fan_mode, untouched);
  CHECK(untouched.disagreements.empty());
}

namespace {

// ../shared next to the main checkout, or next to the worktrees' parent.
std::filesystem::path shared_captures() {
  const std::filesystem::path source(BMCQUIET_SOURCE_DIR);
  for (const auto& up : {source / "..", source / ".." / ".."})
    if (std::filesystem::is_directory(up / "shared" / "redfish-mockups"))
      return up / "shared" / "redfish-mockups";
  return {};
}

Json capture_body(const std::filesystem::path& folder, const std::string& path) {
  return parse(test::read_file((folder / path.substr(1) / "index.json").string()));
}

}  // namespace

TEST_CASE("OEM interop: the iDRAC9 capture's DellAttributes decide", "[redfish][oem][interop]") {
  const auto root = shared_captures();
  if (root.empty()) {
    WARN("skipped: ../shared/redfish-mockups is absent (real BMC captures, optional)");
    return;
  }
  const auto dell_capture = root / "dell-idrac9";
  const auto manager = capture_body(dell_capture, "/redfish/v1/Managers/iDRAC.Embedded.1");
  const auto system = capture_body(dell_capture, "/redfish/v1/Systems/System.Embedded.1");
  Snapshot s;
  read_manager(manager, s);
  read_system(system, s);
  read_network_protocol(
      capture_body(dell_capture, "/redfish/v1/Managers/iDRAC.Embedded.1/NetworkProtocol"), s);
  const std::string power = "/redfish/v1/Chassis/System.Embedded.1/Power";
  read_legacy_power(capture_body(dell_capture, power), power, kServer, s);
  REQUIRE(s.power_limit.watts == 1205.0);  // what the standard property claims

  const auto* dell = vendor_oem_for(manager, system);
  REQUIRE(dell);
  const auto resources = dell->resources(manager, system);
  CHECK(resources.size() == 3);
  for (const auto& path : resources) dell->read(path, capture_body(dell_capture, path), s);
  settle_power(s);
  CHECK_FALSE(s.power_limit.watts);  // PowerCapSetting Disabled: no active cap
  CHECK(s.power_limit.inactive_watts == 1205.0);
  CHECK(s.ipmi_sol_enabled == true);
  CHECK(s.serial_console_enabled == true);
  CHECK(s.ipmi_enabled == true);
  CHECK(s.power_consumed_watts == 614.0);
  CHECK(disagreement(s, "power_cap"));
  CHECK(disagreement(s, "serial_console"));
  CHECK_FALSE(disagreement(s, "ipmi_lan"));  // both say enabled
}
