#include "collectors/dcmi.hpp"

#include <fmt/format.h>

#include "collectors/ipmi_collector.hpp"
#include "metrics/metrics.hpp"
#include "metrics/names.hpp"

namespace bmcquiet {
namespace {

// Shared with the Redfish collector (same names and help, source label apart).
constexpr const char* kPower = names::kPowerConsumed;
constexpr const char* kPowerHelp = names::kPowerConsumedHelp;
constexpr const char* kLimit = names::kPowerLimit;
constexpr const char* kLimitHelp = names::kPowerLimitHelp;
constexpr const char* kActive = names::kPowerLimitActive;
constexpr const char* kActiveHelp = names::kPowerLimitActiveHelp;
constexpr const char* kInfo = "bmcquiet_power_limit_info";
constexpr const char* kInfoHelp =
    "DCMI power limit settings: exception action, correction time and sampling period";

const Labels kSource{{"source", "dcmi"}};

class DcmiCollector final : public IpmiCollector {
 public:
  using IpmiCollector::IpmiCollector;

  void collect_ipmi(CollectDone done) override {
    client_->dcmi_get_power_reading([this, alive = alive(), done = std::move(done)](
                                        ipmi::Result<ipmi::PowerReading> reading) mutable {
      if (!alive.lock()) return;
      publish_reading(reading);
      if (!reading.ok()) return finish(reading.error, std::move(done));
      client_->dcmi_get_power_limit(
          [this, alive, done = std::move(done)](ipmi::Result<ipmi::PowerLimitState> limit) {
            if (!alive.lock()) return;
            publish_limit(limit);
            if (!limit.ok()) return finish(limit.error, std::move(done));
            done(CollectOutcome::success());
          });
    });
  }

 private:
  void finish(const ipmi::Error& error, CollectDone done) {
    remove_limit();  // unknown now: absent, never a stale or zero value
    std::string hint;
    if (error.status == ipmi::Status::completion_code && error.cc == ipmi::kCcInvalidCommand)
      hint = "; this BMC does not implement DCMI: disable collectors.dcmi";
    done(CollectOutcome::failure(error.message + hint, ipmi::problem_kind(error)));
  }

  void publish_reading(const ipmi::Result<ipmi::PowerReading>& r) {
    if (r.ok() && r.value->active) {
      metrics_.gauge(kPower, kPowerHelp, kSource).Set(r.value->current_watts);
    } else {
      metrics_.remove_gauge(kPower, kSource);  // measurement not active: unknown
    }
  }

  void publish_limit(const ipmi::Result<ipmi::PowerLimitState>& r) {
    if (!r.ok()) return remove_limit();
    metrics_.gauge(kActive, kActiveHelp, kSource).Set(r.value->active ? 1 : 0);
    if (r.value->active && r.value->limit) {
      metrics_.gauge(kLimit, kLimitHelp, kSource).Set(r.value->limit->limit_watts);
    } else {
      metrics_.remove_gauge(kLimit, kSource);
    }
    if (r.value->limit) {
      const auto& l = *r.value->limit;
      metrics_.set_info(
          kInfo, kInfoHelp,
          {{"source", "dcmi"},
           {"exception_action", ipmi::describe_exception_action(l.exception_action)},
           {"correction_time_seconds", fmt::format("{:g}", l.correction_time_ms / 1000.0)},
           {"sampling_period_seconds", std::to_string(l.sampling_period_s)}});
    }
  }

  void remove_limit() {
    metrics_.remove_gauge(kActive, kSource);
    metrics_.remove_gauge(kLimit, kSource);
  }
};

}  // namespace

std::unique_ptr<Collector> make_dcmi_collector(const CollectorEnv& env, ConfigSection&) {
  if (!env.bmc || !env.bmc->has_ipmi()) return nullptr;  // bmc.ipmi.transport: none
  return std::make_unique<DcmiCollector>(env);
}

}  // namespace bmcquiet
