#include "collectors/policy.hpp"

#include <fmt/format.h>
#include <boost/asio/steady_timer.hpp>

#include "bmc/bmc.hpp"
#include "policy/engine.hpp"
#include "policy/provider.hpp"

namespace bmcquiet {
namespace policy {
namespace {

class PolicyCollector final : public Collector {
 public:
  PolicyCollector(const CollectorEnv& env, PolicySettings settings)
      : outage_timer_(env.io),
        metrics_(env.metrics),
        paths_(env.paths),
        bmc_(env.bmc),
        active_(env.active_engine),
        settings_(std::move(settings)) {}

  // The engine touches metrics and the state directory, so it is built here
  // and not at construction (--check-config builds collectors too). The BMC
  // is borrowed, never shut down here: its owner outlives this collector.
  void start() override {
    bmc_->borrow();
    auto provider = make_bmc_provider(bmc_, {paths_.state});
    engine_ = std::make_shared<Engine>(metrics_, Engine::Options{settings_, paths_.state, nullptr},
                                       std::move(provider));
    if (active_) active_->engine = engine_;
  }

  void collect(CollectDone done) override {
    watch_outage();
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
    outage_timer_.cancel();
    if (!engine_) return;
    engine_->detach();
    if (active_ && active_->engine == engine_) active_->engine.reset();
    engine_.reset();
  }

 private:
  // A BMC that is gone keeps a pass waiting request_timeout per request, and
  // the scheduler starts no new one meanwhile: while the pass waits and the
  // BMC's latest contact (any consumer's) failed, what was compliant is
  // unknown now, not the last value seen. A slow BMC that answers changes
  // nothing.
  void watch_outage() {
    outage_timer_.expires_after(kOutageCheck);
    outage_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || !engine_ || !engine_->pass_running()) return;
      const auto contact = bmc_->last_contact();
      if (contact.at != std::chrono::steady_clock::time_point{} && !contact.answered)
        engine_->bmc_unreachable(contact.error.empty() ? "no answer" : contact.error);
      watch_outage();
    });
  }

  static constexpr std::chrono::seconds kOutageCheck{2};
  boost::asio::steady_timer outage_timer_;
  Metrics& metrics_;
  Paths paths_;
  std::shared_ptr<bmc::Bmc> bmc_;
  std::shared_ptr<ActiveEngine> active_;
  PolicySettings settings_;
  std::shared_ptr<Engine> engine_;
};

}  // namespace

}  // namespace policy

std::unique_ptr<Collector> make_policy_collector(const CollectorEnv& env, ConfigSection& section) {
  return std::make_unique<policy::PolicyCollector>(env, policy::read_policy_settings(section));
}

}  // namespace bmcquiet
