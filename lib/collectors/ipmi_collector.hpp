// What the collectors that read bmc.ipmi (dcmi, ipmi_sel) share: the borrowed
// client, the BMC's health refreshed after every round, a guard for answers
// that arrive after stop(), (ipmi/problem.hpp gives the kind of problem for an error).
#pragma once

#include <memory>

#include "bmc/bmc.hpp"
#include "collectors/collector.hpp"
#include "ipmi/client.hpp"
#include "ipmi/problem.hpp"

namespace bmcquiet {

class IpmiCollector : public Collector {
 public:
  explicit IpmiCollector(const CollectorEnv& env) : metrics_(env.metrics), bmc_(env.bmc) {}

  // The client belongs to the BMC's owner: borrowed here, never closed here.
  void start() override {
    bmc_->borrow();
    client_ = bmc_->ipmi();
  }

  void collect(CollectDone done) final {
    collect_ipmi([bmc = bmc_, done = std::move(done)](CollectOutcome outcome) {
      bmc->refresh_health();
      done(std::move(outcome));
    });
  }

  void stop() override { alive_.reset(); }

 protected:
  virtual void collect_ipmi(CollectDone done) = 0;
  // Expired once stopped: a late answer must not touch this object.
  std::weak_ptr<bool> alive() const { return alive_; }

  Metrics& metrics_;
  std::shared_ptr<bmc::Bmc> bmc_;
  std::shared_ptr<ipmi::Client> client_;

 private:
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bmcquiet
