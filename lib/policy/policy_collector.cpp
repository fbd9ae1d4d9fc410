#include "policy/policy_collector.hpp"

#include <fmt/format.h>

#include "bmc/bmc.hpp"
#include "policy/engine.hpp"
#include "policy/provider.hpp"

namespace bmcquiet {
namespace policy {
namespace {

std::shared_ptr<Engine>& active_slot() {
  static std::shared_ptr<Engine> engine;
  return engine;
}

class PolicyCollector final : public Collector {
 public:
  PolicyCollector(const CollectorEnv& env, PolicySettings settings)
      : metrics_(env.metrics), paths_(env.paths), bmc_(env.bmc), settings_(std::move(settings)) {}

  // The engine touches metrics and the state directory, so it is built here
  // and not at construction (--check-config builds collectors too). The BMC
  // is borrowed, never shut down here: its owner outlives this collector.
  void start() override {
    bmc_->borrow();
    auto provider = make_bmc_provider(bmc_, {paths_.state});
    engine_ = std::make_shared<Engine>(metrics_, Engine::Options{settings_, paths_.state, nullptr},
                                       std::move(provider));
    active_slot() = engine_;
  }

  // A BMC that stopped answering makes compliance unknown at once, even when
  // the pass that would find out is still waiting on it.
  void collect(CollectDone done) override {
    const auto contact = bmc_->last_contact();
    if (contact.at != std::chrono::steady_clock::time_point{} && !contact.answered)
      engine_->bmc_unreachable(contact.error.empty() ? "no answer" : contact.error);
    engine_->reconcile([engine = engine_, bmc = bmc_, done = std::move(done)] {
      bmc->refresh_health();  // the policy's requests are contacts with the BMC too
      auto status = engine->status();
      if (!status.discovered && !status.identification.empty())
        return done(CollectOutcome::failure(status.identification));
      if (!status.pause_error.empty()) return done(CollectOutcome::failure(status.pause_error));
      done(CollectOutcome::success());
    });
  }

  void stop() override {
    if (!engine_) return;
    engine_->detach();
    if (active_slot() == engine_) active_slot().reset();
    engine_.reset();
  }

 private:
  Metrics& metrics_;
  Paths paths_;
  std::shared_ptr<bmc::Bmc> bmc_;
  PolicySettings settings_;
  std::shared_ptr<Engine> engine_;
};

}  // namespace

std::shared_ptr<Engine> active_engine() { return active_slot(); }

}  // namespace policy

std::unique_ptr<Collector> make_policy_collector(const CollectorEnv& env, ConfigSection& section) {
  return std::make_unique<policy::PolicyCollector>(env, policy::read_policy_settings(section));
}

}  // namespace bmcquiet
