#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "collectors/scheduler.hpp"
#include "core/log.hpp"
#include "metrics/metrics.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace std::chrono_literals;

namespace {

struct ScriptedCollector : Collector {
  std::vector<CollectOutcome> script;
  int* calls;
  ScriptedCollector(std::vector<CollectOutcome> s, int* c) : script(std::move(s)), calls(c) {}
  void collect(CollectDone done) override {
    auto i = static_cast<std::size_t>((*calls)++);
    done(i < script.size() ? script[i] : CollectOutcome::success());
  }
};

struct NeverDone : Collector {
  CollectDone held;
  void collect(CollectDone done) override { held = std::move(done); }
};

double value(Metrics& m, const std::string& series) {
  auto v = test::sample_value(m.serialize(), series);
  INFO(series);
  REQUIRE(v);
  return *v;
}

}  // namespace

TEST_CASE("the framework emits up, errors and last success for each collector") {
  boost::asio::io_context io;
  Metrics metrics;
  int calls = 0;
  std::vector<ScheduledCollector> plan;
  plan.push_back({"scripted", 20ms,
                  std::make_unique<ScriptedCollector>(
                      std::vector{CollectOutcome::failure("device /dev/x missing; load module y"),
                                  CollectOutcome::failure("device /dev/x missing; load module y"),
                                  CollectOutcome::success()},
                      &calls)});
  Scheduler scheduler(io, metrics);
  scheduler.start(std::move(plan));
  io.run_for(30ms);  // first run is immediate, the second after 20 ms
  CHECK(calls == 2);
  CHECK(value(metrics, R"(bmcquiet_collector_up{collector="scripted"})") == 0);
  CHECK(value(metrics, R"(bmcquiet_collector_errors_total{collector="scripted"})") == 2);
  CHECK(value(metrics,
              R"(bmcquiet_collector_last_success_timestamp_seconds{collector="scripted"})") == 0);
  CHECK(scheduler.summary() == "0/1 collectors up (down: scripted)");
  io.restart();
  io.run_for(20ms);
  CHECK(calls == 3);
  CHECK(value(metrics, R"(bmcquiet_collector_up{collector="scripted"})") == 1);
  CHECK(value(metrics,
              R"(bmcquiet_collector_last_success_timestamp_seconds{collector="scripted"})") > 1e9);
  CHECK(scheduler.summary() == "1/1 collectors up");
  scheduler.stop();
  const int after_stop = calls;
  io.restart();
  io.run_for(50ms);
  CHECK(calls == after_stop);
}

TEST_CASE("a collection that never finishes marks the collector down, without piling up") {
  boost::asio::io_context io;
  Metrics metrics;
  auto never = std::make_unique<NeverDone>();
  auto* raw = never.get();
  std::vector<ScheduledCollector> plan;
  plan.push_back({"stuck", 10ms, std::move(never)});
  Scheduler scheduler(io, metrics);
  scheduler.start(std::move(plan));
  io.run_for(35ms);
  CHECK(value(metrics, R"(bmcquiet_collector_up{collector="stuck"})") == 0);
  CHECK(value(metrics, R"(bmcquiet_collector_errors_total{collector="stuck"})") >= 2);
  // Completing late is recorded; completing after stop is ignored safely.
  raw->held(CollectOutcome::success());
  CHECK(value(metrics, R"(bmcquiet_collector_up{collector="stuck"})") == 1);
  scheduler.stop();
}

TEST_CASE("replace keeps the health series of kept collectors and drops the others") {
  boost::asio::io_context io;
  Metrics metrics;
  int a_calls = 0, b_calls = 0, a2_calls = 0;
  std::vector<ScheduledCollector> first;
  first.push_back({"a", 1h,
                   std::make_unique<ScriptedCollector>(
                       std::vector{CollectOutcome::failure("broken")}, &a_calls)});
  first.push_back(
      {"b", 1h, std::make_unique<ScriptedCollector>(std::vector<CollectOutcome>{}, &b_calls)});
  Scheduler scheduler(io, metrics);
  scheduler.start(std::move(first));
  io.run_for(5ms);
  CHECK(value(metrics, R"(bmcquiet_collector_errors_total{collector="a"})") == 1);

  std::vector<ScheduledCollector> second;
  second.push_back({"a", 1h,
                    std::make_unique<ScriptedCollector>(
                        std::vector{CollectOutcome::failure("still broken")}, &a2_calls)});
  scheduler.replace(std::move(second));
  io.restart();
  io.run_for(5ms);
  auto scrape = metrics.serialize();
  CHECK(value(metrics, R"(bmcquiet_collector_errors_total{collector="a"})") == 2);
  CHECK(scrape.find(R"(collector="b")") == std::string::npos);
}

TEST_CASE("problem_key drops counts and timings but keeps HTTP status and names") {
  CHECK(problem_key("backing off after 3 failed polls; timed out after 2001 ms") ==
        problem_key("backing off after 14 failed polls; timed out after 1998 ms"));
  CHECK(problem_key("took 1.5s, retry in 250ms") == "took #, retry in #");
  CHECK(problem_key("GET https://bmc/redfish/v1/Chassis: HTTP 503") !=
        problem_key("GET https://bmc/redfish/v1/Chassis: HTTP 401"));
  CHECK(problem_key("cannot read /dev/cpu/3/msr") == "cannot read /dev/cpu/#/msr");
  CHECK(problem_key("ipmi0 missing; load ipmi_si") == "ipmi0 missing; load ipmi_si");
  CHECK(problem_key("") == "");
}

// The "is down" lines the scheduler logs while a collector runs `script`.
std::vector<std::string> down_lines(const std::vector<CollectOutcome>& script) {
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", ring));
  boost::asio::io_context io;
  Metrics metrics;
  int calls = 0;
  std::vector<ScheduledCollector> plan;
  plan.push_back({"redfish", 1ms, std::make_unique<ScriptedCollector>(script, &calls)});
  Scheduler scheduler(io, metrics);
  scheduler.start(std::move(plan));
  const int wanted = int(script.size()) + 1;
  for (int i = 0; i < 1000 && calls < wanted; ++i) io.run_one_for(10ms);
  scheduler.stop();
  auto lines = ring->last_formatted();
  spdlog::set_default_logger(previous);
  REQUIRE(calls >= wanted);
  std::vector<std::string> warnings;
  for (const auto& l : lines)
    if (l.find("is down") != std::string::npos) warnings.push_back(l);
  UNSCOPED_INFO(fmt::format("{}", fmt::join(lines, "")));
  return warnings;
}

// Once: a 16 s BMC outage logged 11 warnings, one per changed retry count.
TEST_CASE("a problem whose text only changes in its numbers is logged once") {
  std::vector<CollectOutcome> script;
  for (int i = 1; i <= 11; ++i)
    script.push_back(CollectOutcome::failure(fmt::format(
        "backing off after {} failed polls of https://10.0.0.5:8443; the probe failed: GET "
        "https://10.0.0.5:8443/redfish/v1: timed out after {} milliseconds",
        i, 2000 + 7 * i)));
  script.push_back(CollectOutcome::failure("GET https://10.0.0.5:8443/redfish/v1: HTTP 401"));
  auto warnings = down_lines(script);
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0].find("after 1 failed polls") != std::string::npos);
  CHECK(warnings[1].find("HTTP 401") != std::string::npos);
}

TEST_CASE("a problem of known kind is logged once per kind, whatever its text says") {
  using K = ProblemKind;
  auto warnings = down_lines({
      CollectOutcome::failure("GET https://bmc/redfish/v1/Chassis/1/Thermal: no answer",
                              K::timeout),
      CollectOutcome::failure("GET https://bmc/redfish/v1/Systems/1: no answer", K::timeout),
      CollectOutcome::failure("the poll deadline passed with 7 reads left", K::timeout),
      CollectOutcome::failure("GET https://bmc/redfish/v1/Chassis: HTTP 503", K::protocol),
      CollectOutcome::failure("GET https://bmc/redfish/v1/Managers: HTTP 500", K::protocol),
      CollectOutcome::failure("certificate not trusted", K::tls),
      CollectOutcome::failure("certificate not trusted"),  // unclassified: its own text's key
  });
  REQUIRE(warnings.size() == 4);
  CHECK(warnings[0].find("Thermal") != std::string::npos);
  CHECK(warnings[1].find("HTTP 503") != std::string::npos);
  CHECK(warnings[2].find("certificate") != std::string::npos);
}

TEST_CASE("a run still busy at its next tick does not hide the cause that follows it") {
  auto warnings = down_lines({
      CollectOutcome::failure("still running after its interval (500 ms)", ProblemKind::overrun),
      CollectOutcome::failure("IPMI in-band /dev/ipmi0: no answer after 3 attempts",
                              ProblemKind::timeout),
  });
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[1].find("no answer after 3 attempts") != std::string::npos);
}

TEST_CASE("a problem's kind gives bmcquietctl's exit code") {
  CHECK(exit_code(ProblemKind::usage) == 2);
  CHECK(exit_code(ProblemKind::unavailable) == 69);
  CHECK(exit_code(ProblemKind::denied) == 77);
  CHECK(exit_code(ProblemKind::config) == 78);
  CHECK(exit_code(ProblemKind::disabled) == 78);
  CHECK(exit_code(ProblemKind::timeout) == 1);
  CHECK(exit_code(ProblemKind::unknown) == 1);
  CHECK(dedup_key({ProblemKind::timeout, "a"}) == dedup_key({ProblemKind::timeout, "b"}));
  CHECK(dedup_key({ProblemKind::unknown, "timeout"}) != dedup_key({ProblemKind::timeout, "x"}));
}
