#include <catch2/catch.hpp>

#include "ipmi/iana.hpp"
#include "policy/item_table.hpp"
#include "policy/profiles.hpp"
#include "policy/provider.hpp"
#include "redfish/oem.hpp"

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

  BmcSupport d;
  d.identity = generic;
  explain_unsupported(d, true);
  CHECK(d.unsupported.at(ItemId::fans).find("only a vendor profile") != std::string::npos);
  CHECK(d.unsupported.at(ItemId::sol).find("does not expose") != std::string::npos);
  BmcSupport nothing;
  explain_unsupported(nothing, false);
  CHECK(nothing.unsupported.at(ItemId::sol).find("bmc.redfish") != std::string::npos);
}

TEST_CASE("items and profiles are tables: one row per item, profiles from the vendors' rows",
          "[policy][profiles]") {
  for (auto id : kAllItems) {
    const auto& spec = spec_of(id);
    CHECK(spec.id == id);
    CHECK(item_from_string(spec.name) == id);
    // An item only a profile can serve has no standard property and no IPMI.
    if (spec.needs_profile) CHECK((spec.standard.empty() && !spec.ipmi));
  }
  CHECK(item_for_oem_switch("ipmi_sol") == ItemId::sol);
  CHECK_FALSE(item_for_oem_switch("serial_console"));
  // A profile writes exactly the rows of its vendor's table that serve an item.
  for (const auto& profile : profiles()) {
    std::size_t rows = 0;
    for (const auto* vendor : bmcquiet::redfish::vendor_oems())
      if (vendor->name() == profile.oem_reader)
        for (const auto& row : vendor->table()) {
          const auto item = item_for_oem_switch(row.setting);
          if (!item) continue;
          ++rows;
          INFO(profile.name << ": " << row.keys);
          REQUIRE(profile.oem(*item));
          CHECK(profile.oem(*item)->where.find(row.resource) == 0);
        }
    CHECK(profile.oem_settings.size() == rows);
  }
  BmcIdentity ilo;
  ilo.service_vendor = "HPE";
  const auto& hpe = *identify(ilo).profile;
  REQUIRE(hpe.oem(ItemId::inband_ipmi));
  CHECK(hpe.oem(ItemId::inband_ipmi)->where ==
        "Managers/{id}/NetworkProtocol: Oem/Hpe/KcsEnabled=disabled");
}

TEST_CASE("one IANA table: each profile's manufacturer ids name its vendor over IPMI",
          "[policy][profiles]") {
  for (const auto& p : profiles())
    for (auto id : p.ipmi_manufacturer_ids) {
      INFO(p.name << " " << id);
      const auto name = bmcquiet::ipmi::iana::vendor_name(id);
      CHECK(name.rfind("iana:", 0) != 0);  // known, not a number
      BmcIdentity by_name;                 // the name alone picks the same profile
      by_name.service_vendor = name;
      if (auto match = identify(by_name).profile) CHECK(match->vendor == p.vendor);
    }
  CHECK(bmcquiet::ipmi::iana::vendor_name(10876) == "Supermicro");
  CHECK(bmcquiet::ipmi::iana::vendor_name(4753) == "iana:4753");  // ipmi_sim's
}
