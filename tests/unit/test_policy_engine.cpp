// The reconcile engine against in-process fake settings: unit-level stand-ins
// behind the same ItemBackend seam the Redfish and IPMI backends implement.
#include <catch2/catch.hpp>

#include "core/config_section.hpp"
#include "metrics/metrics.hpp"
#include "policy/engine.hpp"
#include "policy/fallback.hpp"
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
  bool refuse_writes = false;  // the BMC refuses for good (400: read-only here)
  bool down = false;           // the BMC does not answer
};

class FakeBackend final : public ItemBackend {
 public:
  explicit FakeBackend(std::shared_ptr<FakeSetting> s) : s_(std::move(s)) {}
  std::string transport() const override { return "fake"; }
  void observe(std::function<void(Observation)> done) override {
    if (s_->down) return done(Observation::failed("GET /redfish/v1/Systems/1: timed out"));
    done(s_->value == s_->desired ? Observation::compliant(s_->value, s_->desired)
                                  : Observation::drifted(s_->value, s_->desired));
  }
  void act(std::function<void(ActOutcome)> done) override {
    ++s_->writes;
    if (s_->refuse_writes)
      return done(ActOutcome::refusal("PATCH /redfish/v1/Systems/1: HTTP 400"));
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
  void discover(const PolicySettings&, std::function<void(BmcSupport)> done) override {
    BmcSupport d;
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
  // Someone else turns SOL back on before each of `times` passes, a minute apart.
  void keep_undoing(int times) {
    for (int i = 0; i < times; ++i) {
      sol->value = "enabled";
      t += 1min;
      pass();
    }
  }
  std::optional<double> value(const std::string& series) {
    return test::sample_value(metrics.serialize(), series);
  }
  ItemStatus item(ItemId id) { return engine->status().items[std::size_t(id)]; }
};

const std::string kSol = "{setting=\"sol\"}";

std::string state_series(const std::string& state) {
  return "bmcquiet_policy_item_state{setting=\"sol\",state=\"" + state + "\"}";
}

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
  r.keep_undoing(3);
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
  std::string text = "{not json";
  // Valid JSON whose times are no numbers: once an exception out of the loop.
  SECTION("since is a string") { text = R"({"since":"yesterday","until":0})"; }
  SECTION("until is null") { text = R"({"since":1,"until":null})"; }
  SECTION("until is past a double") { text = R"({"since":1,"until":1e999})"; }
  SECTION("not an object") { text = "[1,2]"; }
  r.dir.write("policy-pause.json", text);
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

TEST_CASE("flapping clears on a pass once the drifts have left the window, without a new drift",
          "[policy]") {
  Rig r(Mode::enforce);
  r.keep_undoing(3);
  REQUIRE(r.item(ItemId::sol).flapping);
  CHECK(r.value(state_series("flapping")) == 1.0);
  CHECK(r.value(state_series("drifted")) == 0.0);
  r.t += 30min;  // still inside the window: left alone, still drifted
  r.pass();
  CHECK(r.sol->writes == 2);
  CHECK(r.item(ItemId::sol).flapping);
  r.t += 40min;  // all three drifts left the 1h window
  r.pass();      // same drifted value, no new drift: enforced again in this very pass
  CHECK_FALSE(r.item(ItemId::sol).flapping);
  CHECK(r.sol->writes == 3);
  CHECK(r.item(ItemId::sol).state == ItemState::compliant);
  CHECK(r.value(state_series("compliant")) == 1.0);
  CHECK(r.value("bmcquiet_policy_flapping" + kSol) == 0.0);
}

TEST_CASE("apply re-arms a flapping item explicitly", "[policy]") {
  Rig r(Mode::enforce);
  r.keep_undoing(3);
  REQUIRE(r.item(ItemId::sol).flapping);
  auto rearmed = r.engine->rearm();
  REQUIRE(rearmed.size() == 1);
  CHECK(rearmed[0] == ItemId::sol);
  CHECK_FALSE(r.item(ItemId::sol).flapping);
  r.pass();
  CHECK(r.sol->writes == 3);
  CHECK(r.item(ItemId::sol).state == ItemState::compliant);
  CHECK(r.engine->rearm().empty());  // nothing left to re-arm
}

TEST_CASE("apply also ends a back-off", "[policy]") {
  Rig r(Mode::enforce);
  r.sol->reject_writes = true;
  r.pass();
  REQUIRE(r.item(ItemId::sol).backing_off);
  r.sol->reject_writes = false;
  CHECK(r.engine->rearm().size() == 1);
  r.pass();
  CHECK(r.sol->writes == 2);
  CHECK(r.item(ItemId::sol).state == ItemState::compliant);
}

TEST_CASE("BMC outages are not drifts: drifted, error, drifted counts once", "[policy]") {
  Rig r(Mode::report);
  r.settings.flap_max_drifts = 1;
  for (int i = 0; i < 4; ++i) {
    r.pass();  // drifted
    r.sol->down = true;
    r.t += 1min;
    r.pass();  // error
    CHECK(r.item(ItemId::sol).state == ItemState::error);
    CHECK(r.value(state_series("error")) == 1.0);
    CHECK_FALSE(r.value("bmcquiet_policy_compliant" + kSol));  // unknown, not 0 or 1
    r.sol->down = false;
  }
  r.pass();
  CHECK(r.value("bmcquiet_policy_drift_detected_total" + kSol) == 1.0);
  CHECK(r.item(ItemId::sol).drifts == 1);
}

TEST_CASE("a drift found right after an outage is put back but does not feed the flap guard",
          "[policy]") {
  Rig r(Mode::enforce);
  r.settings.flap_max_drifts = 1;
  for (int i = 0; i < 3; ++i) {
    r.sol->value = "enabled";  // the BMC restarted with its defaults
    r.sol->down = true;
    r.t += 1min;
    r.pass();
    r.sol->down = false;
    r.pass();
  }
  CHECK(r.sol->writes == 3);
  CHECK_FALSE(r.item(ItemId::sol).flapping);
  CHECK(r.item(ItemId::sol).state == ItemState::compliant);
}

TEST_CASE("compliance is unknown while the BMC does not answer", "[policy]") {
  Rig r(Mode::enforce);
  r.pass();
  REQUIRE(r.value("bmcquiet_policy_compliant" + kSol) == 1.0);
  r.engine->bmc_unreachable("connection refused");
  CHECK_FALSE(r.value("bmcquiet_policy_compliant" + kSol));
  CHECK(r.value(state_series("error")) == 1.0);
  CHECK(r.value(state_series("compliant")) == 0.0);
  CHECK(r.item(ItemId::sol).detail.find("connection refused") != std::string::npos);
  r.pass();  // it answers again
  CHECK(r.value("bmcquiet_policy_compliant" + kSol) == 1.0);
  CHECK(r.sol->writes == 1);  // no drift was invented by the outage
}

TEST_CASE("one state series per item: exactly one of the seven states is 1", "[policy]") {
  Rig r(Mode::enforce);
  r.settings.set_mode(ItemId::fans, Mode::report);
  r.build();
  auto ones = [&](const std::string& setting) {
    int n = 0;
    for (auto state : kVisibleStates)
      n += r.value("bmcquiet_policy_item_state{setting=\"" + setting + "\",state=\"" +
                   std::string(state) + "\"}") == 1.0;
    return n;
  };
  CHECK(ones("sol") == 0);  // unknown before the first observation
  CHECK(r.value("bmcquiet_policy_item_state{setting=\"kvm\",state=\"off\"}") == 1.0);
  r.pass();
  CHECK(ones("sol") == 1);
  CHECK(r.value(state_series("compliant")) == 1.0);
  CHECK(r.value("bmcquiet_policy_item_state{setting=\"fans\",state=\"unsupported\"}") == 1.0);
  CHECK(ones("fans") == 1);
  REQUIRE(r.engine->pause(0s, "BIOS update").empty());
  CHECK(r.value(state_series("paused")) == 1.0);
  CHECK(ones("sol") == 1);
  // A report item is not held back by a pause: it shows what it is.
  CHECK(r.value("bmcquiet_policy_item_state{setting=\"fans\",state=\"unsupported\"}") == 1.0);
  REQUIRE(r.engine->resume().empty());
  CHECK(r.value(state_series("compliant")) == 1.0);
  CHECK(r.item(ItemId::sol).visible == "compliant");
}

TEST_CASE("a pause file written without the bus stops the very next write", "[policy]") {
  Rig r(Mode::enforce);
  r.pass();
  r.sol->value = "enabled";
  REQUIRE(save_pause(r.dir.path(), PauseRecord{unix_now(), 0, "no bus here"}).empty());
  r.pass();
  CHECK(r.sol->writes == 1);  // only the first pass wrote
  CHECK(r.value(state_series("paused")) == 1.0);
  REQUIRE(clear_pause(r.dir.path()).empty());  // bmcquietctl resume without the bus
  r.pass();
  CHECK(r.sol->writes == 2);
  CHECK(r.value("bmcquiet_policy_paused") == 0.0);
}

TEST_CASE("a refused standard write falls back to the other transport for good", "[policy]") {
  Rig r(Mode::enforce);
  auto ipmi = std::make_shared<FakeSetting>();
  ipmi->value = "enabled";
  r.sol->refuse_writes = true;
  r.provider->backends[ItemId::sol] = make_fallback(
      ItemId::sol, std::make_shared<FakeBackend>(r.sol), std::make_shared<FakeBackend>(ipmi));
  r.pass();
  CHECK(r.sol->writes == 1);
  CHECK(ipmi->writes == 1);
  CHECK(ipmi->value == "disabled");
  CHECK(r.item(ItemId::sol).state == ItemState::compliant);  // read back over the fallback
  r.pass();
  CHECK(r.sol->writes == 1);  // never tried again
  CHECK(r.value("bmcquiet_policy_reapply_failures_total" + kSol) == 0.0);
}

TEST_CASE("a refused write without a fallback is unsupported (read-only here), once", "[policy]") {
  Rig r(Mode::enforce);
  r.sol->refuse_writes = true;
  r.provider->backends[ItemId::sol] =
      make_fallback(ItemId::sol, std::make_shared<FakeBackend>(r.sol), nullptr);
  r.pass();
  r.t += 2h;  // long past any back-off
  r.pass();
  r.pass();
  CHECK(r.sol->writes == 1);
  CHECK(r.item(ItemId::sol).state == ItemState::unsupported);
  CHECK(r.item(ItemId::sol).detail.find("unsupported (read-only here)") != std::string::npos);
  CHECK(r.item(ItemId::sol).detail.find("HTTP 400") != std::string::npos);
  CHECK(r.value(state_series("unsupported")) == 1.0);
  CHECK_FALSE(r.value("bmcquiet_policy_compliant" + kSol));
}
