#include <catch2/catch.hpp>

#include "policy/profiles.hpp"
#include "policy/provider.hpp"

using namespace bmcquiet::policy;

TEST_CASE("vendor profiles match the signals real BMCs give", "[policy][profiles]") {
  BmcIdentity supermicro;  // no Manufacturer, Model "ASPEED": only the Oem namespace tells
  supermicro.model = "ASPEED";
  supermicro.oem_namespaces = {"Supermicro"};
  auto id = identify(supermicro);
  REQUIRE(id.profile);
  CHECK(id.profile->vendor == Vendor::supermicro);
  CHECK(id.profile->oem(ItemId::fans));

  BmcIdentity dell;
  dell.service_vendor = "Dell";
  dell.model = "15G Monolithic";
  dell.oem_namespaces = {"Dell"};
  dell.ipmi_manufacturer_id = 674;
  REQUIRE(identify(dell).profile);
  CHECK(identify(dell).profile->name == "dell-idrac");

  BmcIdentity hpe;
  hpe.service_vendor = "HPE";
  hpe.model = "iLO 5";
  hpe.oem_namespaces = {"Hpe"};
  REQUIRE(identify(hpe).profile);
  CHECK(identify(hpe).profile->vendor == Vendor::hpe);
  CHECK_FALSE(identify(hpe).profile->oem(ItemId::fans));

  BmcIdentity ipmi_only;
  ipmi_only.ipmi_manufacturer_id = 10876;
  REQUIRE(identify(ipmi_only).profile);
  CHECK(identify(ipmi_only).profile->vendor == Vendor::supermicro);
}

TEST_CASE("an unidentified or contradictory BMC gets no profile", "[policy][profiles]") {
  BmcIdentity generic;  // the DMTF mockup: nothing vendor-specific
  generic.model = "Joo Janta 200";
  auto none = identify(generic);
  CHECK_FALSE(none.profile);
  CHECK(none.reason.find("no vendor profile") != std::string::npos);

  BmcIdentity mixed;
  mixed.oem_namespaces = {"Supermicro"};
  mixed.ipmi_manufacturer_id = 674;  // Dell
  auto contradiction = identify(mixed);
  CHECK_FALSE(contradiction.profile);
  CHECK(contradiction.reason.find("contradict") != std::string::npos);

  Discovery d;
  d.identity = generic;
  explain_unsupported(d, true);
  CHECK(d.unsupported.at(ItemId::fans).find("only a vendor profile") != std::string::npos);
  CHECK(d.unsupported.at(ItemId::sol).find("does not expose") != std::string::npos);
  Discovery nothing;
  explain_unsupported(nothing, false);
  CHECK(nothing.unsupported.at(ItemId::sol).find("bmc.redfish") != std::string::npos);
}
