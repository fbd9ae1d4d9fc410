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

TEST_CASE("check findings: SEL fill over IPMI is judged as BmcQuietSelNearlyFull judges it") {
  Findings at;  // 90 %: the alert fires above 0.9, not at it
  judge_sel({"", 90, 100, false}, at);
  CHECK(at.worst() == Severity::ok);
  CHECK(at.all().at(0).reason.find("SEL 90 of 100 entries (90.0 %)") != std::string::npos);
  Findings above;
  judge_sel({"", 91, 100, false}, above);
  CHECK(above.worst() == Severity::warning);
  CHECK(above.text().find("WARNING  sel: SEL 91 of 100") != std::string::npos);
  CHECK(above.text().find("BmcQuietSelNearlyFull") != std::string::npos);
  Findings dropped;  // overflowed: events already lost, however empty it looks now
  judge_sel({"", 3, 100, true}, dropped);
  CHECK(dropped.worst() == Severity::warning);
  CHECK(dropped.text().find("overflowed") != std::string::npos);
  Findings silent;
  judge_sel({"127.0.0.1:623: no answer after 3 attempts", 0, 0, false}, silent);
  CHECK(silent.worst() == Severity::unknown);
  CHECK(silent.text().find("SEL unreadable: 127.0.0.1:623") != std::string::npos);
}
