// bmcquietctl's status and plan tables from the daemon's JSON.
#include <catch2/catch.hpp>

#include "ctl/policy_table.hpp"

using namespace bmcquiet::ctl;

TEST_CASE("status table: a pause far in the future prints, an odd shape is no status", "[ctl]") {
  // 1e308 s once went through time_t: undefined (UBSan's float-cast-overflow).
  const auto table = render_status(
      R"({"identity":"x","pause":{"since":1764000000,"until":1e308,"reason":"r"},)"
      R"("last_reconcile":-1,"items":[1,{"setting":"ipmi_sol","state":"compliant"}]})");
  CHECK_THAT(table, Catch::Contains("until 1" /* 1000...0 s after 1970 */));
  CHECK_THAT(table, Catch::Contains("s after 1970"));
  CHECK_THAT(table, Catch::Contains("since 2025-11-24T"));
  CHECK_THAT(table, Catch::Contains("Last pass  never"));
  CHECK_THAT(table, Catch::Contains("ipmi_sol"));
  // Items or changes that are not arrays: not a status (was an exception).
  CHECK(render_status(R"({"items":{}})").empty());
  CHECK(render_plan(R"({"changes":"none"})").empty());
  CHECK_THAT(render_plan(R"({"changes":[7,{"setting":"kvm"}]})"), Catch::Contains("kvm"));
}
