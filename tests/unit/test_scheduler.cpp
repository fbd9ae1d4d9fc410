#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "collectors/scheduler.hpp"
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
  std::vector<PlannedCollector> plan;
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
  std::vector<PlannedCollector> plan;
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
  std::vector<PlannedCollector> first;
  first.push_back({"a", 1h,
                   std::make_unique<ScriptedCollector>(
                       std::vector{CollectOutcome::failure("broken")}, &a_calls)});
  first.push_back(
      {"b", 1h, std::make_unique<ScriptedCollector>(std::vector<CollectOutcome>{}, &b_calls)});
  Scheduler scheduler(io, metrics);
  scheduler.start(std::move(first));
  io.run_for(5ms);
  CHECK(value(metrics, R"(bmcquiet_collector_errors_total{collector="a"})") == 1);

  std::vector<PlannedCollector> second;
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
