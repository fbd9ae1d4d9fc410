#include "collectors/watchdog.hpp"

#include <unistd.h>

#include <cmath>

#include "bmc/bmc.hpp"
#include "ipmi/client.hpp"
#include "metrics/series_set.hpp"
#include "platform/proc_scan.hpp"
#include "platform/watchdog_petters.hpp"

namespace bmcquiet {
namespace {

constexpr const char* kInfo = "bmcquiet_watchdog_petter_info";
constexpr const char* kIsolated = "bmcquiet_watchdog_petter_may_run_on_isolated_cpus";
constexpr const char* kPriority = "bmcquiet_watchdog_petter_priority";
constexpr const char* kBehindRt = "bmcquiet_watchdog_petter_behind_realtime";
constexpr const char* kPetters = "bmcquiet_watchdog_petters";
constexpr const char* kSafe = "bmcquiet_watchdog_safe_petters";
constexpr const char* kUnreadable = "bmcquiet_watchdog_unreadable_processes";
constexpr const char* kDevice = "bmcquiet_watchdog_device_info";
constexpr const char* kActive = "bmcquiet_watchdog_device_active";
constexpr const char* kTimeout = "bmcquiet_watchdog_device_timeout_seconds";
constexpr const char* kSystemd = "bmcquiet_watchdog_systemd_runtime_seconds";
constexpr const char* kBmcRunning = "bmcquiet_bmc_watchdog_running";
constexpr const char* kBmcResets = "bmcquiet_bmc_watchdog_resets_host";
constexpr const char* kBmcTimeout = "bmcquiet_bmc_watchdog_timeout_seconds";
constexpr const char* kAtRisk = "bmcquiet_watchdog_at_risk";
constexpr const char* kComplete = "bmcquiet_watchdog_scan_complete";
// Petter series are keyed by (device, comm), never pid: a pid changes with
// every restart of the petter and would leave a new series each time. comm
// is what a process calls itself, so the per-petter series are capped.
constexpr std::size_t kMaxListed = 64;

struct PetterKey {
  std::string device, comm;
  auto operator<=>(const PetterKey&) const = default;
};

// Two processes with one name on one device fold into the worst of them.
struct Folded {
  std::string policy;
  int priority = 0;
  bool isolated = false, behind_rt = false;
};

std::map<PetterKey, Folded> fold(const WatchdogHostView& view) {
  std::map<PetterKey, Folded> out;
  for (const auto& p : view.petters) {
    auto [it, first] = out.try_emplace({p.device, p.comm});
    auto& f = it->second;
    if (first || p.rt_priority < f.priority)
      f.priority = p.rt_priority, f.policy = sched_policy_name(p.policy);
    f.isolated = f.isolated || p.may_run_on_isolated;
    f.behind_rt = f.behind_rt || p.behind_rt;
  }
  return out;
}

bool resets_host(const ipmi::WatchdogState& s) { return (s.timeout_action & 0x07) != 0; }

class WatchdogCollector final : public Collector {
 public:
  WatchdogCollector(const CollectorEnv& env, bool read_bmc)
      : series_(env.metrics, kMaxListed),
        paths_(env.paths),
        cpus_(env.cpus),
        bmc_(read_bmc ? env.bmc : nullptr) {}

  void start() override {
    if (!bmc_ || !bmc_->has_ipmi()) return;
    bmc_->borrow();
    client_ = bmc_->ipmi();
  }

  void collect(CollectDone done) override {
    const auto roles = resolve_cpu_roles(paths_.sysfs, cpus_);
    if (!roles.error.empty()) return done(CollectOutcome::failure(roles.error));
    const auto systemd = read_systemd_watchdog();
    if (systemd.runtime_seconds)
      series_.set(kSystemd,
                  "systemd's RuntimeWatchdogSec= (0: off; +Inf: the device's own timeout)", {},
                  *systemd.runtime_seconds);
    auto view = std::make_shared<WatchdogHostView>(
        scan_watchdog_host(paths_, {roles.isolated, int(::getpid()), systemd}));
    publish_host(*view);
    if (!client_) return finish(*view, std::nullopt, std::move(done));
    client_->get_watchdog([this, alive = std::weak_ptr<bool>(alive_), view,
                           done = std::move(done)](ipmi::Result<ipmi::WatchdogState> r) mutable {
      if (!alive.lock()) return;
      bmc_->refresh_health();
      if (!r.ok()) {
        finish(*view, std::nullopt, [](CollectOutcome) {});
        const bool absent = r.error.status == ipmi::Status::completion_code &&
                            r.error.cc == ipmi::kCcInvalidCommand;
        return done(CollectOutcome::failure(
            "Get Watchdog Timer: " + r.error.message +
            (absent ? "; this BMC has no watchdog timer: set collectors.watchdog.read_bmc: false"
                    : "")));
      }
      finish(*view, *r.value, std::move(done));
    });
  }

  void stop() override { alive_.reset(); }

 private:
  void publish_host(const WatchdogHostView& view) {
    for (const auto& [key, f] : fold(view)) {
      const Labels id{{"device", key.device}, {"comm", key.comm}};
      series_.listed(kInfo, "A process that may pet a watchdog, with its scheduling policy",
                     {{"device", key.device}, {"comm", key.comm}, {"policy", f.policy}}, 1);
      series_.listed(kIsolated, "1 when a thread of a watchdog petter may run on an isolated CPU",
                     id, f.isolated ? 1 : 0);
      series_.listed(kPriority, "A watchdog petter's real-time priority (0: not real-time)", id,
                     f.priority);
      series_.listed(kBehindRt,
                     "1 when a real-time task of the petter's priority or above (any, for "
                     "SCHED_OTHER) may take its CPUs",
                     id, f.behind_rt ? 1 : 0);
    }
    series_.set(kUnreadable,
                "Processes whose open files bmcquiet may not read (petters among them are missed)",
                {}, view.unreadable);
    series_.set(kComplete,
                "1 when every process and its open files were visible (0: ProtectProc=invisible, "
                "hidepid= or no CAP_SYS_PTRACE; no at-risk verdict without a safe petter)",
                {}, view.complete ? 1.0 : 0.0);
    for (const auto& d : view.devices) {
      const Labels wd{{"watchdog", d.name}};
      series_.listed(kDevice, "A kernel watchdog device (<sysfs>/class/watchdog)",
                     {{"watchdog", d.name}, {"identity", d.identity}}, 1);
      series_.listed(kActive, "1 when a kernel watchdog device is running", wd, d.active);
      if (d.timeout_seconds)
        series_.listed(kTimeout, "A kernel watchdog device's timeout", wd, *d.timeout_seconds);
    }
  }

  void publish_petter_counts(const std::string& watchdog, const WatchdogHostView& view,
                             std::optional<bool> reset_armed) {
    const auto petters = petters_of(view, watchdog);
    const auto safe =
        std::count_if(petters.begin(), petters.end(), [](auto* p) { return p->safe(); });
    const Labels wd{{"watchdog", watchdog}};
    series_.set(kPetters, "Processes that may pet this watchdog", wd, double(petters.size()));
    series_.set(kSafe,
                "Petters of this watchdog confined to housekeeping CPUs and not behind a "
                "real-time task",
                wd, double(safe));
    // A safe petter found is a verdict even in a partial view; "none safe" is not.
    if (reset_armed && (!*reset_armed || view.complete || safe > 0))
      series_.set(kAtRisk,
                  "1 when this watchdog runs, resets the node on expiry, and no petter is safely "
                  "placed",
                  wd, std::optional<bool>(*reset_armed && safe == 0));
  }

  void finish(const WatchdogHostView& view, std::optional<ipmi::WatchdogState> bmc,
              CollectDone done) {
    for (const auto& d : view.devices) publish_petter_counts(d.name, view, d.active);
    if (bmc) {
      series_.set(kBmcRunning, "1 when the BMC's watchdog timer runs (IPMI Get Watchdog Timer)", {},
                  bmc->running ? 1.0 : 0.0);
      series_.set(kBmcResets, "1 when the BMC's watchdog resets, powers down or cycles the host",
                  {}, resets_host(*bmc) ? 1.0 : 0.0);
      series_.set(kBmcTimeout, "The BMC watchdog's initial countdown", {},
                  bmc->initial_countdown_100ms / 10.0);
    }
    publish_petter_counts("bmc", view,
                          bmc ? std::optional(bmc->running && resets_host(*bmc)) : std::nullopt);
    series_.sweep();
    done(CollectOutcome::success());
  }

  SeriesSet series_;
  Paths paths_;
  CpuSelection cpus_;
  std::shared_ptr<bmc::Bmc> bmc_;
  std::shared_ptr<ipmi::Client> client_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<Collector> make_watchdog_collector(const CollectorEnv& env,
                                                   ConfigSection& section) {
  return std::make_unique<WatchdogCollector>(env, section.get_bool("read_bmc", true));
}

}  // namespace bmcquiet
