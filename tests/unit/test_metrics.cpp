// Metrics views: what a collector exported goes away with the collector.
#include <catch2/catch.hpp>

#include "metrics/metrics.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using bmcquiet::test::sample_value;

TEST_CASE("metrics: dropping an owner removes exactly the series it created") {
  Metrics root;
  auto& smi = root.owned_by("smi");
  auto& redfish = root.owned_by("redfish");
  auto& dcmi = root.owned_by("dcmi");
  CHECK(&root.owned_by("smi") == &smi);  // one view per owner, reused by reloads

  smi.counter("bmcquiet_smi_total", "SMIs").Increment(7);
  smi.histogram("bmcquiet_test_seconds", "h", {0.1, 1}).Observe(0.5);
  redfish.gauge("bmcquiet_power_limit_active", "a", {{"source", "redfish"}}).Set(1);
  dcmi.gauge("bmcquiet_power_limit_active", "a", {{"source", "dcmi"}}).Set(1);
  root.gauge("bmcquiet_collector_up", "up", {{"collector", "smi"}}).Set(1);

  root.drop_owners_except({"redfish", "dcmi"});
  auto text = root.serialize();
  CHECK_FALSE(sample_value(text, "bmcquiet_smi_total"));
  CHECK(text.find("bmcquiet_test_seconds_count") == std::string::npos);
  CHECK(sample_value(text, R"(bmcquiet_power_limit_active{source="redfish"})") == 1.0);
  CHECK(sample_value(text, R"(bmcquiet_power_limit_active{source="dcmi"})") == 1.0);
  // The root's own series (the framework's) are never an owner's to drop.
  CHECK(sample_value(text, R"(bmcquiet_collector_up{collector="smi"})") == 1.0);

  // Enabled again: the series starts over (a counter reset, which rate() handles).
  smi.counter("bmcquiet_smi_total", "SMIs").Increment(2);
  CHECK(sample_value(root.serialize(), "bmcquiet_smi_total") == 2.0);

  // Removed by its collector first (a value that became unknown): nothing to drop.
  dcmi.remove_gauge("bmcquiet_power_limit_active", {{"source", "dcmi"}});
  root.drop_owners_except({"redfish", "smi"});
  text = root.serialize();
  CHECK_FALSE(sample_value(text, R"(bmcquiet_power_limit_active{source="dcmi"})"));
  CHECK(sample_value(text, R"(bmcquiet_power_limit_active{source="redfish"})") == 1.0);
}

TEST_CASE("metrics: a series two owners share stays while one of them is live") {
  Metrics root;
  root.owned_by("a").gauge("bmcquiet_shared", "s").Set(3);
  root.owned_by("b").gauge("bmcquiet_shared", "s").Set(4);
  root.drop_owners_except({"b"});
  CHECK(sample_value(root.serialize(), "bmcquiet_shared") == 4.0);
  root.drop_owners_except({});
  CHECK_FALSE(sample_value(root.serialize(), "bmcquiet_shared"));
}

TEST_CASE("metrics: an info series scoped by a label leaves the other sources' alone") {
  Metrics root;
  const Labels redfish{{"source", "redfish"}, {"vendor", "Supermicro"}, {"firmware", "01.01.01"}};
  const Labels ipmi{{"source", "ipmi"}, {"vendor", "Supermicro"}, {"firmware", "1.01"}};
  root.set_info("bmcquiet_bmc_info", "who", redfish, "source");
  root.set_info("bmcquiet_bmc_info", "who", ipmi, "source");
  auto text = root.serialize();
  CHECK(text.find(R"(firmware="01.01.01",source="redfish")") != std::string::npos);
  CHECK(text.find(R"(firmware="1.01",source="ipmi")") != std::string::npos);
  // New firmware over IPMI replaces only IPMI's series.
  auto updated = ipmi;
  updated["firmware"] = "1.02";
  root.set_info("bmcquiet_bmc_info", "who", updated, "source");
  text = root.serialize();
  CHECK(text.find(R"(firmware="1.01")") == std::string::npos);
  CHECK(text.find(R"(firmware="1.02",source="ipmi")") != std::string::npos);
  CHECK(text.find(R"(source="redfish")") != std::string::npos);
  // Unscoped, it is the only series left.
  root.set_info("bmcquiet_bmc_info", "who", redfish);
  CHECK(root.serialize().find(R"(source="ipmi")") == std::string::npos);
}
