// How `bmcquietctl check` ranks what it found into one exit status.
#include <catch2/catch.hpp>

#include "ctl/check_findings.hpp"

using namespace bmcquiet::ctl;

TEST_CASE("check findings: CRITICAL > UNKNOWN > WARNING > OK, whatever the order found") {
  Findings f;
  CHECK(f.worst() == Severity::ok);
  f.add("smi_rate", Severity::ok, "0 SMIs/s");
  CHECK(f.worst() == Severity::ok);
  CHECK(f.text().empty());  // OK findings are only in --json
  f.add("stolen_time", Severity::warning, "0.5 %");
  CHECK(f.worst() == Severity::warning);
  f.add("bmc", Severity::unknown, "unreachable");
  CHECK(f.worst() == Severity::unknown);  // a silent BMC is not "only a warning"
  f.add("policy:power_cap", Severity::critical, "capped below the floor");
  f.add("bmc", Severity::unknown, "again");
  CHECK(f.worst() == Severity::critical);
  CHECK(f.text().find("CRITICAL policy:power_cap: capped below the floor") != std::string::npos);
  CHECK(int(Severity::unknown) == 3);
  CHECK(severity_named("warning") == Severity::warning);
  CHECK_FALSE(severity_named("page"));
}

TEST_CASE("check findings: SMI and stolen-time thresholds are the alert rules'") {
  Platform p;
  p.sampled = 2;
  p.smis = 2;  // 1/s: the alert fires above 1/s, not at it
  Findings at;
  judge_platform(p, at);
  CHECK(at.worst() == Severity::ok);
  p.smis = 3;
  p.stolen = 0.01;  // 0.5 % > 0.1 %
  Findings above;
  judge_platform(p, above);
  CHECK(above.worst() == Severity::warning);
  CHECK(above.text().find("BmcQuietSmiRateHigh") != std::string::npos);
  CHECK(above.text().find("BmcQuietStolenTimeHigh") != std::string::npos);
  p.smi_error = "no msr module";
  p.stolen = 0;
  Findings unmeasured;
  judge_platform(p, unmeasured);
  CHECK(unmeasured.worst() == Severity::ok);
  CHECK(unmeasured.all().back().reason.find("not measured") != std::string::npos);
}
