// The reconcile engine against in-process fake settings: unit-level stand-ins
// behind the same ItemBackend seam the Redfish and IPMI backends implement.
#include <catch2/catch.hpp>

#include "core/config_section.hpp"
#include "metrics/metrics.hpp"
#include "policy/engine.hpp"
#include "policy/provider.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace bmcquiet::policy;
using namespace std::chrono_literals;

namespace {

// One BMC setting: a value, how many writes reached it, and knobs for misbehaviour.
struct FakeSetting {
  std::string value = "enabled";
  std::string desired = "disabled";
  int writes = 0;
  bool reject_writes = false;  // the BMC answers an error
  bool ignore_writes = false;  // the BMC says OK but nothing changes
};

class FakeBackend final : public ItemBackend {
 public:
  explicit FakeBackend(std::shared_ptr<FakeSetting> s) : s_(std::move(s)) {}
  std::string transport() const override { return "fake"; }
  void observe(std::function<void(Observation)> done) override {
    done(s_->value == s_->desired ? Observation::compliant(s_->value, s_->desired)
                                  : Observation::drifted(s_->value, s_->desired));
  }
  void act(std::function<void(ActOutcome)> done) override {
    ++s_->writes;
    if (s_->reject_writes) return done(ActOutcome::failure("fake BMC said 500"));
    if (!s_->ignore_writes) s_->value = s_->desired;
    done(ActOutcome::success());
  }

 private:
  std::shared_ptr<FakeSetting> s_;
};

class FakeProvider final : public Provider {
 public:
  std::map<ItemId, std::shared_ptr<ItemBackend>> backends;
  BmcIdentity identity;
  void discover(const PolicySettings&, std::function<void(Discovery)> done) override {
    Discovery d;
    d.ok = true;
    d.identity = identity;
    d.profile = identify(identity).profile;
    d.backends = backends;
    explain_unsupported(d, true);
    done(std::move(d));
  }
};

struct Rig {
  test::TempDir dir;
  Metrics metrics;
  std::chrono::steady_clock::time_point t{};
  std::shared_ptr<FakeProvider> provider = std::make_shared<FakeProvider>();
  std::shared_ptr<FakeSetting> sol = std::make_shared<FakeSetting>();
  PolicySettings settings;
  std::shared_ptr<Engine> engine;

  explicit Rig(Mode mode) {
    settings.modes.fill(Mode::off);
    settings.set_mode(ItemId::sol, mode);
    settings.backoff_initial = 1min;
    settings.backoff_max = 4min;
    settings.flap_max_drifts = 2;
    settings.flap_window = 1h;
    provider->backends[ItemId::sol] = std::make_shared<FakeBackend>(sol);
  }
  void build() {
    engine = std::make_shared<Engine>(
        metrics, Engine::Options{settings, dir.path(), [this] { return t; }}, provider);
  }
  void pass() {
    if (!engine) build();
    bool done = false;
    engine->reconcile([&] { done = true; });
    REQUIRE(done);  // the fakes answer synchronously
  }
  std::optional<double> value(const std::string& series) {
    return test::sample_value(metrics.serialize(), series);
  }
  ItemStatus item(ItemId id) { return engine->status().items[std::size_t(id)]; }
};

const std::string kSol = "{setting=\"sol\"}";

}  // namespace

TEST_CASE("report mode reports drift once and never writes", "[policy]") {
  Rig r(Mode::report);
  r.pass();
  r.pass();
  CHECK(r.sol->writes == 0);
  CHECK(r.item(ItemId::sol).state == ItemState::drifted);
  CHECK(r.value("bmcquiet_policy_compliant" + kSol) == 0.0);
  CHECK(r.value("bmcquiet_policy_drift_detected_total" + kSol) == 1.0);
  CHECK(r.value("bmcquiet_policy_reapply_total" + kSol) == 0.0);
  auto plan = r.engine->plan();
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].blocked_by == "report mode");
  CHECK(plan[0].current == "enabled");
  CHECK(r.value("bmcquiet_policy_last_reconcile_timestamp_seconds").value_or(0) > 0);
}

TEST_CASE("enforce puts a drifted setting back and verifies it by reading back", "[policy]") {
  Rig r(Mode::enforce);
  r.pass();
  CHECK(r.sol->writes == 1);
  CHECK(r.sol->value == "disabled");
  CHECK(r.item(ItemId::sol).state == ItemState::compliant);
  CHECK(r.value("bmcquiet_policy_compliant" + kSol) == 1.0);
  CHECK(r.value("bmcquiet_policy_reapply_total" + kSol) == 1.0);
  CHECK(r.value("bmcquiet_policy_reapply_failures_total" + kSol) == 0.0);
  CHECK(r.engine->plan().empty());
  r.pass();  // compliant: nothing more to do
  CHECK(r.sol->writes == 1);
}

TEST_CASE("a write the BMC ignores is a failure, and retries back off", "[policy]") {
  Rig r(Mode::enforce);
  r.sol->ignore_writes = true;
  r.pass();
  CHECK(r.sol->writes == 1);
  CHECK(r.value("bmcquiet_policy_reapply_failures_total" + kSol) == 1.0);
  CHECK(r.item(ItemId::sol).backing_off);
  CHECK(r.item(ItemId::sol).detail.find("reads back 'enabled'") != std::string::npos);
  r.pass();  // still within the first back-off
  CHECK(r.sol->writes == 1);
  r.t += 61s;
  r.pass();
  CHECK(r.sol->writes == 2);
  r.t += 61s;  // back-off doubled to 2 min
  r.pass();
  CHECK(r.sol->writes == 2);
  r.t += 60s;
  r.sol->ignore_writes = false;
  r.pass();
  CHECK(r.sol->writes == 3);
  CHECK(r.item(ItemId::sol).state == ItemState::compliant);
  CHECK_FALSE(r.item(ItemId::sol).backing_off);
}

TEST_CASE("a rejected write is counted and audited as a failure", "[policy]") {
  Rig r(Mode::enforce);
  r.sol->reject_writes = true;
  r.pass();
  CHECK(r.value("bmcquiet_policy_reapply_failures_total" + kSol) == 1.0);
  CHECK(r.item(ItemId::sol).detail == "fake BMC said 500");
  CHECK(r.item(ItemId::sol).state == ItemState::drifted);
}

TEST_CASE("an item that keeps drifting back is flapping and no longer enforced", "[policy]") {
  Rig r(Mode::enforce);
  for (int i = 0; i < 3; ++i) {
    r.sol->value = "enabled";  // someone else turns it back on
    r.t += 1min;
    r.pass();
  }
  CHECK(r.sol->writes == 2);  // the third drift exceeded max_drifts=2
  CHECK(r.item(ItemId::sol).flapping);
  CHECK(r.value("bmcquiet_policy_flapping" + kSol) == 1.0);
  CHECK(r.value("bmcquiet_policy_drift_detected_total" + kSol) == 3.0);
  REQUIRE(r.engine->plan().size() == 1);
  CHECK(r.engine->plan()[0].blocked_by == "flapping");
  r.t += 2h;  // the window forgets the old drifts; the item is enforced again
  r.sol->value = "disabled";
  r.pass();
  r.sol->value = "enabled";
  r.pass();
  CHECK_FALSE(r.item(ItemId::sol).flapping);
  CHECK(r.sol->writes == 3);
}

TEST_CASE("a maintenance pause stops writes, survives a restart and ends on resume", "[policy]") {
  Rig r(Mode::enforce);
  r.build();
  REQUIRE(r.engine->pause(0s, "firmware update").empty());
  r.pass();
  CHECK(r.sol->writes == 0);
  CHECK(r.value("bmcquiet_policy_paused") == 1.0);
  CHECK(r.engine->plan().at(0).blocked_by == "paused");
  r.engine.reset();  // restart: a new engine over the same state directory
  r.build();
  r.pass();
  CHECK(r.sol->writes == 0);
  REQUIRE(r.engine->status().pause);
  CHECK(r.engine->status().pause->reason == "firmware update");
  REQUIRE(r.engine->resume().empty());
  CHECK(r.value("bmcquiet_policy_paused") == 0.0);
  r.pass();
  CHECK(r.sol->writes == 1);
}

TEST_CASE("a pause with a duration expires by itself", "[policy]") {
  Rig r(Mode::enforce);
  r.build();
  PauseRecord old{unix_now() - 100, unix_now() - 1, "window over"};
  REQUIRE(save_pause(r.dir.path(), old).empty());
  r.pass();
  CHECK(r.sol->writes == 1);
  CHECK_FALSE(r.engine->status().pause);
}

TEST_CASE("a corrupt pause file errs on the side of not writing", "[policy]") {
  Rig r(Mode::enforce);
  r.dir.write("policy-pause.json", "{not json");
  r.pass();
  CHECK(r.sol->writes == 0);
  CHECK(r.engine->status().pause_error.find("policy-pause.json") != std::string::npos);
}

TEST_CASE("items without a backend are unsupported, with the reason, and have no gauge",
          "[policy]") {
  Rig r(Mode::enforce);
  r.settings.set_mode(ItemId::fans, Mode::enforce);
  r.pass();
  auto fans = r.item(ItemId::fans);
  CHECK(fans.state == ItemState::unsupported);
  CHECK(fans.detail.find("vendor profile") != std::string::npos);
  CHECK_FALSE(r.value("bmcquiet_policy_compliant{setting=\"fans\"}"));
  CHECK(r.item(ItemId::kvm).state == ItemState::off);
}

TEST_CASE("the power floor is exported for alerts", "[policy]") {
  Rig r(Mode::report);
  r.settings.set_mode(ItemId::power_cap, Mode::report);
  r.settings.power_floor_watts = 900;
  r.build();
  CHECK(r.value("bmcquiet_power_floor_watts") == 900.0);
}

TEST_CASE("policy settings come from collectors.policy with defaults", "[policy]") {
  auto diag = std::make_shared<ConfigDiagnostics>("t.yaml");
  auto root = ConfigSection::parse(R"(
flap_guard: {max_drifts: 5, window: 10m}
items:
  sol: {mode: enforce}
  sel: {mode: enforce, max_fill_ratio: 0.5}
  power_cap: {floor_watts: 850}
  kvm: {mode: off}
)",
                                   diag);
  auto s = read_policy_settings(root);
  root.finish();
  INFO(diag->summary());
  REQUIRE(diag->ok());
  CHECK(s.mode(ItemId::sol) == Mode::enforce);
  CHECK(s.mode(ItemId::kvm) == Mode::off);
  CHECK(s.mode(ItemId::fans) == Mode::report);
  CHECK(s.sel_max_fill_ratio == 0.5);
  CHECK(s.power_floor_watts == 850);
  CHECK(s.flap_max_drifts == 5);
  CHECK(s.flap_window == 10min);

  auto bad_diag = std::make_shared<ConfigDiagnostics>("t.yaml");
  auto bad =
      ConfigSection::parse("items:\n  sol: {mode: enforced}\n  fan: {mode: off}\n", bad_diag);
  read_policy_settings(bad);
  bad.finish();
  CHECK(bad_diag->issues().size() == 2);  // bad mode, unknown item
}
