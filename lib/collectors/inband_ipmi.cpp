#include "collectors/inband_ipmi.hpp"

#include <map>
#include <set>

#include <fmt/format.h>

#include "metrics/metrics.hpp"
#include "platform/inband_ipmi_users.hpp"

namespace bmcquiet {
namespace {

constexpr const char* kUsers = "bmcquiet_inband_ipmi_users";
constexpr const char* kUserInfo = "bmcquiet_inband_ipmi_user_info";
constexpr const char* kSiTotal = "bmcquiet_ipmi_si_transactions_total";
constexpr const char* kSiInterfaces = "bmcquiet_ipmi_si_interfaces";
// comm is whatever a process calls itself: past this many distinct names the
// rest are counted under "other", so no host can grow the series without bound.
constexpr std::size_t kMaxComms = 16;

class InbandIpmiCollector final : public Collector {
 public:
  explicit InbandIpmiCollector(const CollectorEnv& env)
      : metrics_(env.metrics), paths_(env.paths), cpus_(env.cpus) {}

  void collect(CollectDone done) override {
    const auto roles = resolve_cpu_roles(paths_.sysfs, cpus_);
    if (!roles.error.empty()) return done(CollectOutcome::failure(roles.error));
    const auto view = scan_inband_ipmi(paths_, roles.isolated);
    publish_users(view);
    publish_si(view);
    done(CollectOutcome::success());
  }

 private:
  void publish_users(const InbandIpmiView& view) {
    int on_isolated = 0;
    std::map<std::string, int> by_comm;
    for (const auto& u : view.users) {
      on_isolated += u.may_run_on_isolated ? 1 : 0;
      const bool room = by_comm.count(u.comm) || by_comm.size() < kMaxComms;
      ++by_comm[room ? u.comm : "other"];
    }
    const char* help = "Processes holding an in-band IPMI device (<devfs>/ipmi*) open";
    metrics_.gauge(kUsers, help, {{"may_run_on_isolated", "true"}}).Set(on_isolated);
    metrics_.gauge(kUsers, help, {{"may_run_on_isolated", "false"}})
        .Set(double(view.users.size()) - on_isolated);
    std::set<std::string> now;
    for (const auto& [comm, count] : by_comm) {
      metrics_
          .gauge(kUserInfo, "In-band IPMI users by process name (at most 16 names)",
                 {{"comm", comm}})
          .Set(count);
      now.insert(comm);
    }
    for (const auto& gone : comms_)
      if (!now.count(gone)) metrics_.remove_gauge(kUserInfo, {{"comm", gone}});
    comms_ = std::move(now);
  }

  // Driver counters reset when the module reloads: only forward deltas count.
  void publish_si(const InbandIpmiView& view) {
    metrics_.gauge(kSiInterfaces, "ipmi_si interfaces found in sysfs").Set(view.si_interfaces);
    for (const auto& [kind, value] : view.si_counters) {
      auto [it, first] = last_.try_emplace(kind, value);
      const auto delta = !first && value >= it->second ? value - it->second : 0;
      it->second = value;
      metrics_
          .counter(kSiTotal, "The ipmi_si driver's own statistics, from sysfs", {{"kind", kind}})
          .Increment(double(delta));
    }
  }

  Metrics& metrics_;
  Paths paths_;
  CpuSelection cpus_;
  std::set<std::string> comms_;
  std::map<std::string, std::uint64_t> last_;
};

}  // namespace

std::unique_ptr<Collector> make_inband_ipmi_collector(const CollectorEnv& env, ConfigSection&) {
  return std::make_unique<InbandIpmiCollector>(env);
}

}  // namespace bmcquiet
