// Chassis roles (lib/redfish/chassis_roles.cpp): which chassis is the server
// and what the others are, from ChassisType, Links and names, never from the
// order the BMC lists them.
#include <algorithm>
#include <map>
#include <random>

#include <catch2/catch.hpp>

#include "redfish/discovery.hpp"

using namespace bmcquiet::redfish;

namespace {

const std::string kChassis = "/redfish/v1/Chassis/";

ChassisModel chassis(const std::string& id, const std::string& type,
                     const std::string& contained_by = "", bool system_link = false) {
  ChassisModel c;
  c.id = c.name = id;
  c.path = kChassis + id;
  c.type = type;
  if (!contained_by.empty()) c.contained_by = {kChassis + contained_by + "/"};  // HPE's slash
  if (system_link) c.computer_systems = {"/redfish/v1/Systems/1"};
  return c;
}

std::map<std::string, std::string> roles_of(std::vector<ChassisModel> all, unsigned seed = 0) {
  if (seed) std::shuffle(all.begin(), all.end(), std::mt19937(seed));
  Model m;
  m.chassis = std::move(all);
  assign_roles(m);
  std::map<std::string, std::string> out;
  for (const auto& c : m.chassis) out[c.id] = c.role;
  return out;
}

}  // namespace

TEST_CASE("roles: the node linked to the system is the server, not its bare enclosure",
          "[redfish][roles]") {
  auto roles = roles_of({chassis("1", "RackMount", "EnclosureChassis", true),
                         chassis("EnclosureChassis", "Enclosure")});
  CHECK(roles["1"] == "server");
  CHECK(roles["EnclosureChassis"] == "enclosure");
}

TEST_CASE("roles: a GPU server's parts, the same for every member order", "[redfish][roles]") {
  std::vector<ChassisModel> all = {
      chassis("Server_0", "RackMount", "", true),
      chassis("HGX_Baseboard_0", "Module", "Server_0"),
      chassis("HGX_GPU_SXM_1", "Module", "HGX_Baseboard_0"),
      chassis("HGX_ERoT_GPU_SXM_1", "Component", "HGX_Baseboard_0"),
      chassis("HGX_NVSwitch_0", "Module", "HGX_Baseboard_0"),
      chassis("CPU_0", "Module", "Server_0"),
      chassis("PSU_0", "PowerSupply", "Server_0"),
      chassis("Zone_GPU", "Zone", "Server_0"),
      chassis("HGX_CPLD_0", "Component", "HGX_Baseboard_0"),
      chassis("NVMe_Backplane", "StorageEnclosure", "Server_0"),
      chassis("Riser_1", "Card", "Server_0"),
  };
  // A GPU module linked to the system too must not win: the server contains it.
  all[2].computer_systems = {"/redfish/v1/Systems/1"};
  const auto roles = roles_of(all);
  CHECK(roles.at("Server_0") == "server");
  CHECK(roles.at("HGX_Baseboard_0") == "enclosure");
  CHECK(roles.at("HGX_GPU_SXM_1") == "gpu");
  CHECK(roles.at("HGX_ERoT_GPU_SXM_1") == "component");  // not a GPU for its name
  CHECK(roles.at("HGX_NVSwitch_0") == "switch");
  CHECK(roles.at("CPU_0") == "cpu");
  CHECK(roles.at("PSU_0") == "power_supply");
  CHECK(roles.at("Zone_GPU") == "zone");
  CHECK(roles.at("HGX_CPLD_0") == "component");
  CHECK(roles.at("NVMe_Backplane") == "storage");
  CHECK(roles.at("Riser_1") == "component");
  for (unsigned seed : {1u, 2u, 3u, 4u, 5u}) CHECK(roles_of(all, seed) == roles);
}

TEST_CASE("roles: without system links the outermost whole-machine chassis is the server",
          "[redfish][roles]") {
  SECTION("the one that contains the others wins over a lone one with a smaller path") {
    auto roles = roles_of({chassis("A_Spare", "RackMount"), chassis("B_Main", "RackMount"),
                           chassis("B_Fan", "Module", "B_Main")});
    CHECK(roles["B_Main"] == "server");
    CHECK(roles["A_Spare"] == "enclosure");
  }
  SECTION("equals: one with something to read, then the smallest path") {
    auto bare = chassis("A", "RackMount");
    bare.has_readings = false;
    CHECK(roles_of({bare, chassis("B", "RackMount")})["B"] == "server");
    CHECK(roles_of({chassis("B", "RackMount"), chassis("A", "RackMount")})["A"] == "server");
  }
  SECTION("no whole-machine type at all: the uncontained one") {
    auto roles = roles_of({chassis("Board", "Module"), chassis("Sub", "Component", "Board")});
    CHECK(roles["Board"] == "server");
  }
  SECTION("exactly one server even when containment is a cycle") {
    auto a = chassis("A", "RackMount", "B"), b = chassis("B", "RackMount", "A");
    auto roles = roles_of({a, b});
    CHECK(std::count_if(roles.begin(), roles.end(), [](auto& r) { return r.second == "server"; }) ==
          1);
  }
}

TEST_CASE("normalise_link: one identity for a link with or without slash or fragment",
          "[redfish][roles]") {
  CHECK(normalise_link("/redfish/v1/Chassis/1/") == "/redfish/v1/Chassis/1");
  CHECK(normalise_link("/redfish/v1/Chassis/1#/Thermal") == "/redfish/v1/Chassis/1");
  CHECK(normalise_link("/") == "/");
}
