// What the policy shows while the BMC is gone: the real policy collector (its
// engine, provider and Redfish client) against bmcsim when the BMC stops
// answering mid-pass. Requests then hang until request_timeout, one item
// after another, and the scheduler starts no new pass meanwhile.
#include <catch2/catch.hpp>

#include "bmc/bmc.hpp"
#include "collectors/policy.hpp"
#include "core/config_section.hpp"
#include "metrics/metrics.hpp"
#include "policy/engine.hpp"
#include "support/bmcsim.hpp"
#include "support/helpers.hpp"
#include "support/redfish_rig.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

TEST_CASE("a BMC that stops answering mid-pass makes compliance unknown before the pass ends",
          "[policy][e2e]") {
  RedfishRig rig;
  BmcSim sim({fixture_dir("redfish/dell")});
  Metrics metrics;
  auto options = rig.options(sim);
  options.request_timeout = 1500ms;
  auto owner = bmc::Bmc::create(rig.io, nullptr, {.redfish = options});
  auto diag = std::make_shared<ConfigDiagnostics>("test.yaml");
  // sol, virtual_media and watchdog are visited in that order, one at a time.
  auto section = ConfigSection::parse(
      "items:\n  sol: {mode: enforce}\n  virtual_media: {mode: enforce}\n"
      "  watchdog: {mode: enforce}\n  sel: {mode: off}\n  power_cap: {mode: off}\n"
      "  fans: {mode: off}\n  kvm: {mode: off}\n  sensor_polling: {mode: off}\n"
      "  firmware_auto_update: {mode: off}\n",
      diag);
  auto active = std::make_shared<policy::ActiveEngine>();
  auto collector = make_policy_collector(
      {rig.io, metrics, Paths{.state = rig.dir.path()}, {}, owner, active}, section);
  REQUIRE(diag->ok());
  collector->start();
  auto engine = active->engine;
  REQUIRE(engine);
  auto compliant = [&](const char* setting) {
    return sample_value(metrics.serialize(),
                        std::string("bmcquiet_policy_compliant{setting=\"") + setting + "\"}");
  };
  bool done = false;
  collector->collect([&](CollectOutcome) { done = true; });
  rig.run_until([&] { return done; });
  REQUIRE(compliant("watchdog") == 1.0);

  sim.fault("timeout");  // every request from now on is accepted and never answered
  done = false;
  const auto start = std::chrono::steady_clock::now();
  collector->collect([&](CollectOutcome) { done = true; });
  // watchdog is reached last, after sol and virtual_media each waited out
  // request_timeout; its compliance must not stay 1 for that long.
  bool unknown_while_waiting = false;
  rig.run_until(
      [&] {
        unknown_while_waiting =
            unknown_while_waiting || (engine->pass_running() && !compliant("watchdog").has_value());
        return done;
      },
      60s);
  INFO("the pass took "
       << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s");
  CHECK(unknown_while_waiting);
  CHECK_FALSE(compliant("sol"));
  CHECK(sample_value(metrics.serialize(),
                     "bmcquiet_policy_item_state{setting=\"watchdog\",state=\"error\"}") == 1.0);
  sim.clear_fault();
  collector->stop();
  bool closed = false;
  owner->shutdown([&] { closed = true; });
  rig.run_until([&] { return closed; });
}
