#include "policy/engine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "metrics/metrics.hpp"

namespace bmcquiet::policy {
namespace {

constexpr const char* kCompliant = "bmcquiet_policy_compliant";
constexpr const char* kDrift = "bmcquiet_policy_drift_detected_total";
constexpr const char* kReapply = "bmcquiet_policy_reapply_total";
constexpr const char* kReapplyFailures = "bmcquiet_policy_reapply_failures_total";
constexpr const char* kFlapping = "bmcquiet_policy_flapping";
constexpr const char* kLastReconcile = "bmcquiet_policy_last_reconcile_timestamp_seconds";
constexpr const char* kPaused = "bmcquiet_policy_paused";
constexpr const char* kPauseStart = "bmcquiet_policy_pause_start_timestamp_seconds";
constexpr const char* kPowerFloor = "bmcquiet_power_floor_watts";
constexpr const char* kItemState = "bmcquiet_policy_item_state";

constexpr const char* kItemStateHelp =
    "1 for the item's current state (compliant, drifted, unsupported, error, flapping, paused, "
    "off), 0 for the others; all 0 before its first observation";

constexpr const char* kCompliantHelp =
    "1 if the BMC setting matches the policy, 0 if it drifted; absent when unknown, unsupported or "
    "unreadable";

constexpr const char* kPowerFloorHelp =
    "Lowest acceptable BMC power cap in watts (collectors.policy.items.power_cap.floor_watts)";

Labels setting_label(ItemId id) { return {{"setting", std::string(to_string(id))}}; }

}  // namespace

std::string_view to_string(ItemState state) {
  switch (state) {
    case ItemState::off:
      return "off";
    case ItemState::compliant:
      return "compliant";
    case ItemState::drifted:
      return "drifted";
    case ItemState::unsupported:
      return "unsupported";
    case ItemState::error:
      return "error";
    default:
      return "unknown";
  }
}

struct Engine::Slot {
  ItemStatus status;
  std::shared_ptr<ItemBackend> backend;
  std::deque<std::chrono::steady_clock::time_point> drift_times;  // within the flap window
  std::chrono::steady_clock::time_point retry_at{};
  std::chrono::nanoseconds backoff{0};
  // The last answer that said compliant or drifted: a drift is a change
  // between those two, and the BMC failing to answer in between is none.
  std::optional<Observation::Status> last_answer;
  // The visible state last logged: a drift put back within the same pass
  // logs its audit lines, not two state changes.
  std::string logged_visible = "unknown";
};

Engine::Engine(Metrics& metrics, Options options, std::shared_ptr<Provider> provider)
    : metrics_(metrics), options_(std::move(options)), provider_(std::move(provider)) {
  // Families first, so their help text is set before any series is removed.
  metrics_.gauge_family(kCompliant, kCompliantHelp);
  metrics_.gauge_family(kPowerFloor, kPowerFloorHelp);
  metrics_.gauge_family(kItemState, kItemStateHelp);
  for (auto id : kAllItems) {
    Slot slot;
    slot.status.id = id;
    slot.status.mode = options_.settings.mode(id);
    slot.status.state = slot.status.mode == Mode::off ? ItemState::off : ItemState::unknown;
    if (slot.status.mode == Mode::off) slot.logged_visible = "off";
    if (slot.status.mode != Mode::off) {
      // Zero baselines so rate() and increase() see the first event.
      metrics_.counter(kDrift, "Times a BMC setting was found drifted from the policy",
                       setting_label(id));
      metrics_.counter(kReapply, "Times the policy re-applied a BMC setting", setting_label(id));
      metrics_.counter(kReapplyFailures,
                       "Re-applies that failed or did not read back as the policy wants",
                       setting_label(id));
    }
    metrics_.remove_gauge(kCompliant, setting_label(id));
    slots_.push_back(std::move(slot));
  }
  for (auto& slot : slots_) publish(slot, false);
  const double floor = options_.settings.power_floor_watts;
  if (floor > 0 && options_.settings.mode(ItemId::power_cap) != Mode::off)
    metrics_.gauge(kPowerFloor, kPowerFloorHelp).Set(floor);
  else
    metrics_.remove_gauge(kPowerFloor, {});
  refresh_pause();
}

Engine::~Engine() = default;

std::chrono::steady_clock::time_point Engine::now() const {
  return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
}

// Wraps a callback so that it does nothing once the engine is gone or detached.
template <typename F>
auto Engine::guarded(F f) {
  return [weak = weak_from_this(), f = std::move(f)](auto&&... args) mutable {
    auto self = weak.lock();
    if (!self || self->detached_) return;
    f(*self, std::forward<decltype(args)>(args)...);
  };
}

void Engine::detach() {
  detached_ = true;
  waiters_.clear();
}

void Engine::reconcile(std::function<void()> done) {
  if (done) waiters_.push_back(std::move(done));
  if (running_) return;
  running_ = true;
  start_pass();
}

void Engine::start_pass() {
  refresh_pause();
  if (discovery_ && discovery_->ok) return step(0);
  provider_->discover(options_.settings, guarded([](Engine& self, BmcSupport d) {
                        self.discovery_ = std::move(d);
                        for (auto& slot : self.slots_) {
                          auto it = self.discovery_->backends.find(slot.status.id);
                          slot.backend =
                              it == self.discovery_->backends.end() ? nullptr : it->second;
                        }
                        self.step(0);
                      }));
}

void Engine::finish_pass() {
  last_reconcile_unix_ = unix_now();
  metrics_.gauge(kLastReconcile, "Unix time the last policy reconcile pass finished")
      .Set(last_reconcile_unix_);
  running_ = false;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w();
}

void Engine::step(std::size_t index) {
  while (index < slots_.size() && slots_[index].status.mode == Mode::off) ++index;
  if (index >= slots_.size()) return finish_pass();
  auto& slot = slots_[index];
  if (!discovery_->ok) {
    observed(index, Observation::failed(discovery_->error));
    return;
  }
  if (!slot.backend) {
    auto why = discovery_->unsupported.find(slot.status.id);
    observed(index, Observation::unsupported(why != discovery_->unsupported.end()
                                                 ? why->second
                                                 : "no transport or profile serves this item"));
    return;
  }
  slot.status.transport = slot.backend->transport();
  slot.backend->observe(
      guarded([index](Engine& self, Observation o) { self.observed(index, std::move(o)); }));
}

void Engine::observed(std::size_t index, Observation o) {
  auto& slot = slots_[index];
  auto& st = slot.status;
  // The read may have moved the item to a fallback transport (policy/fallback.hpp).
  if (slot.backend) st.transport = slot.backend->transport();
  st.detail = o.detail;
  if (!o.desired.empty()) st.desired = o.desired;
  st.current = o.current;
  switch (o.status) {
    case Observation::Status::compliant:
      st.state = ItemState::compliant;
      slot.backoff = {};
      st.backing_off = false;
      break;
    case Observation::Status::drifted:
      if (slot.last_answer != Observation::Status::drifted)
        record_drift(slot, o, st.state == ItemState::error);
      // Nothing enforce could do: said once as unsupported, never a failure.
      st.state =
          o.write_refused && st.mode == Mode::enforce ? ItemState::unsupported : ItemState::drifted;
      break;
    case Observation::Status::unsupported:
      st.state = ItemState::unsupported;
      break;
    case Observation::Status::error:
      st.state = ItemState::error;
      break;
  }
  if (o.status == Observation::Status::compliant || o.status == Observation::Status::drifted)
    slot.last_answer = o.status;
  judge_flapping(slot);
  const bool wants_write = st.state == ItemState::drifted && st.mode == Mode::enforce;
  if (wants_write) refresh_pause();  // a pause written meanwhile (no bus) stops this write
  if (wants_write && blocked_reason(slot).empty()) {
    publish(slot, false);  // the read-back decides what is logged
    return act(index, o);
  }
  publish(slot);
  step(index + 1);
}

// A drift first seen right after the BMC failed to answer is counted and put
// back, but kept out of the flap guard: a BMC that resets its settings when it
// restarts is not someone fighting the policy.
void Engine::record_drift(Slot& slot, const Observation& o, bool after_outage) {
  auto& st = slot.status;
  ++st.drifts;
  metrics_.counter(kDrift, "", setting_label(st.id)).Increment();
  if (!after_outage) slot.drift_times.push_back(now());
  std::string result = st.mode == Mode::enforce ? "drift-detected" : "drift-reported";
  audit(slot, o.current, o.desired,
        after_outage ? result + " after the BMC did not answer" : result, false);
}

// On every observation, so that an item is enforced again as soon as its
// drifts have left the window, not only when it drifts once more.
void Engine::judge_flapping(Slot& slot) {
  const auto t = now();
  while (!slot.drift_times.empty() && t - slot.drift_times.front() > options_.settings.flap_window)
    slot.drift_times.pop_front();
  slot.status.flapping = int(slot.drift_times.size()) > options_.settings.flap_max_drifts;
}

std::string Engine::blocked_reason(const Slot& slot) const {
  const auto& st = slot.status;
  if (st.mode != Mode::enforce) return "report mode";
  if (paused()) return "paused";
  if (st.flapping) return "flapping";
  if (slot.retry_at > now()) return "backing off after a failed re-apply";
  return {};
}

void Engine::act(std::size_t index, const Observation& before) {
  auto& slot = slots_[index];
  metrics_.counter(kReapply, "", setting_label(slot.status.id)).Increment();
  ++slot.status.reapplies;
  slot.backend->act(guarded([index, before = before.current](Engine& self, ActOutcome outcome) {
    self.verify(index, before, std::move(outcome));
  }));
}

// Reads the setting back: a write counts only when the BMC shows it.
void Engine::verify(std::size_t index, std::string before, ActOutcome outcome) {
  auto fail = [this, index](const std::string& before_value, const std::string& after,
                            const std::string& error) {
    auto& slot = slots_[index];
    metrics_.counter(kReapplyFailures, "", setting_label(slot.status.id)).Increment();
    ++slot.status.failures;
    const auto& s = options_.settings;
    slot.backoff =
        slot.backoff.count() == 0 ? s.backoff_initial : std::min(slot.backoff * 2, s.backoff_max);
    slot.retry_at = now() + slot.backoff;
    slot.status.backing_off = true;
    slot.status.detail = error;
    audit(slot, before_value, after, "failed: " + error, true);
    publish(slot);
    step(index + 1);
  };
  // The write may have gone over a fallback transport (policy/fallback.hpp).
  slots_[index].status.transport = slots_[index].backend->transport();
  if (!outcome.ok) return fail(before, before, outcome.error);
  slots_[index].backend->observe(guarded([index, before, fail](Engine& self, Observation o) {
    auto& slot = self.slots_[index];
    if (o.status != Observation::Status::compliant) {
      fail(before, o.current,
           o.status == Observation::Status::error
               ? o.detail
               : fmt::format("the BMC accepted the write but reads back '{}'", o.current));
      return;
    }
    slot.status.state = ItemState::compliant;
    slot.status.current = o.current;
    slot.last_answer = Observation::Status::compliant;
    slot.backoff = {};
    slot.status.backing_off = false;
    self.audit(slot, before, o.current, "reapplied", false);
    self.publish(slot);
    self.step(index + 1);
  }));
}

std::string_view Engine::visible_state(const Slot& slot) const {
  const auto& st = slot.status;
  if (st.mode == Mode::off) return "off";
  if (st.state == ItemState::unknown || st.state == ItemState::unsupported)
    return to_string(st.state);
  if (st.mode == Mode::enforce && paused()) return "paused";
  if (st.mode == Mode::enforce && st.flapping) return "flapping";
  return to_string(st.state);
}

std::string Engine::state_reason(const Slot& slot, std::string_view visible) const {
  const auto& st = slot.status;
  const auto window =
      std::chrono::duration_cast<std::chrono::seconds>(options_.settings.flap_window).count();
  if (visible == "flapping")
    return fmt::format(
        "drifted {} times within {}s; not enforced until those drifts leave the window: find "
        "what keeps changing it; `bmcquietctl apply` re-arms it",
        slot.drift_times.size(), window);
  if (visible == "paused") return "a maintenance pause stops writes (`bmcquietctl resume`)";
  if (visible == "drifted")
    return fmt::format("is {}, the policy wants {}{}", st.current, st.desired,
                       st.mode == Mode::report ? " (report mode: not written)" : "");
  if (visible == "compliant") return fmt::format("is {}", st.current);
  return st.detail;
}

void Engine::publish(Slot& slot, bool log_change) {
  auto& st = slot.status;
  const auto labels = setting_label(st.id);
  if (st.state == ItemState::compliant || st.state == ItemState::drifted)
    metrics_.gauge(kCompliant, kCompliantHelp, labels).Set(st.state == ItemState::compliant);
  else
    metrics_.remove_gauge(kCompliant, labels);
  if (st.mode == Mode::enforce)
    metrics_
        .gauge(kFlapping, "1 if the item drifts back too often and is no longer enforced", labels)
        .Set(st.flapping);
  const auto visible = visible_state(slot);
  st.visible = std::string(visible);
  for (auto state : kVisibleStates)
    metrics_
        .gauge(kItemState, kItemStateHelp,
               {{"setting", std::string(to_string(st.id))}, {"state", std::string(state)}})
        .Set(state == visible);
  if (!log_change || slot.logged_visible == visible || visible == "unknown") return;
  const bool bad = visible == "drifted" || visible == "error" || visible == "flapping";
  const auto item = std::string(to_string(st.id));
  log_event(bad ? spdlog::level::warn : spdlog::level::info,
            fmt::format("policy: {} is {} (was {}): {}", item, visible, slot.logged_visible,
                        state_reason(slot, visible)),
            {{"ITEM", item},
             {"STATE", std::string(visible)},
             {"PREVIOUS_STATE", slot.logged_visible},
             {"TRANSPORT", st.transport}});
  slot.logged_visible = std::string(visible);
}

void Engine::publish_all() {
  for (auto& slot : slots_) publish(slot);
}

std::vector<ItemId> Engine::rearm() {
  std::vector<ItemId> rearmed;
  for (auto& slot : slots_) {
    auto& st = slot.status;
    if (st.mode != Mode::enforce || (!st.flapping && !st.backing_off)) continue;
    const auto item = std::string(to_string(st.id));
    log_event(spdlog::level::info,
              fmt::format("policy: {} re-armed by `bmcquietctl apply` (was {}); enforced again",
                          item, st.flapping ? "flapping" : "backing off"),
              {{"ITEM", item}, {"RESULT", "re-armed"}});
    slot.drift_times.clear();
    st.flapping = false;
    slot.backoff = {};
    slot.retry_at = {};
    st.backing_off = false;
    publish(slot);
    rearmed.push_back(st.id);
  }
  return rearmed;
}

void Engine::bmc_unreachable(const std::string& why) {
  for (auto& slot : slots_) {
    auto& st = slot.status;
    if (st.state != ItemState::compliant && st.state != ItemState::drifted) continue;
    st.state = ItemState::error;
    st.detail =
        fmt::format("the BMC does not answer ({}); compliance is unknown until it does", why);
    publish(slot);
  }
}

void Engine::audit(const Slot& slot, const std::string& before, const std::string& after,
                   const std::string& result, bool failure) {
  const auto item = std::string(to_string(slot.status.id));
  log_event(failure ? spdlog::level::warn : spdlog::level::info,
            fmt::format("policy: {} {} ({} -> {})", item, result, before, after),
            {{"ITEM", item},
             {"BEFORE", before},
             {"AFTER", after},
             {"TRANSPORT", slot.status.transport},
             {"RESULT", result}});
}

// The pause file is the one truth, whoever wrote it (D-Bus Pause, or
// bmcquietctl without a bus): its start and end are logged here, once.
void Engine::refresh_pause() {
  const bool was_paused = paused();
  const auto previous = pause_;
  auto loaded = load_pause(options_.state_dir);
  if (loaded.error != pause_error_ && !loaded.error.empty())
    log_event(spdlog::level::warn, fmt::format("policy: no writes to the BMC: {}", loaded.error),
              {{"RESULT", "paused"}});
  pause_error_ = loaded.error;
  pause_ = loaded.record;
  if (pause_ && !pause_->active(unix_now())) {
    log_event(spdlog::level::info,
              fmt::format("policy: maintenance pause ended (its time ran out): {}", pause_->reason),
              {{"RESULT", "resumed"}, {"REASON", pause_->reason}});
    clear_pause(options_.state_dir);
    pause_.reset();
  } else if (pause_ && (!previous || previous->since_unix != pause_->since_unix)) {
    log_event(spdlog::level::info,
              fmt::format("policy: paused for maintenance {}: {}",
                          pause_->until_unix == 0
                              ? std::string("until resumed")
                              : fmt::format("for {:.0f} s more", pause_->until_unix - unix_now()),
                          pause_->reason),
              {{"RESULT", "paused"}, {"REASON", pause_->reason}});
  } else if (!pause_ && previous) {
    log_event(spdlog::level::info,
              fmt::format("policy: maintenance pause ended (resumed): {}", previous->reason),
              {{"RESULT", "resumed"}, {"REASON", previous->reason}});
  }
  metrics_.gauge(kPaused, "1 while a maintenance pause stops the policy from writing to the BMC")
      .Set(paused());
  // Lets an alert catch a forgotten pause across daemon and Prometheus
  // restarts; an unreadable pause file has no start and reads as 0 (long ago).
  metrics_
      .gauge(kPauseStart,
             "Unix time the current maintenance pause began; 0 when not paused or unknown")
      .Set(pause_ ? pause_->since_unix : 0);
  if (paused() != was_paused) publish_all();
}

bool Engine::paused() const {
  // An unreadable pause file errs on the side of not writing.
  return pause_.has_value() || !pause_error_.empty();
}

std::string Engine::pause(std::chrono::seconds duration, const std::string& reason) {
  PauseRecord r;
  r.since_unix = unix_now();
  r.until_unix = duration.count() > 0 ? r.since_unix + double(duration.count()) : 0;
  r.reason = reason;
  if (auto error = save_pause(options_.state_dir, r); !error.empty()) return error;
  refresh_pause();
  return {};
}

std::string Engine::resume() {
  if (auto error = clear_pause(options_.state_dir); !error.empty()) return error;
  refresh_pause();
  return {};
}

EngineStatus Engine::status() const {
  EngineStatus s;
  if (discovery_) {
    s.discovered = discovery_->ok;
    s.identity = discovery_->identity.describe();
    s.profile = discovery_->profile ? std::string(discovery_->profile->name) : "";
    s.identification = discovery_->ok ? identify(discovery_->identity).reason : discovery_->error;
  }
  s.pause = pause_;
  s.pause_error = pause_error_;
  s.last_reconcile_unix = last_reconcile_unix_;
  for (const auto& slot : slots_) s.items.push_back(slot.status);
  return s;
}

std::vector<PlannedChange> Engine::plan() const {
  std::vector<PlannedChange> changes;
  for (const auto& slot : slots_) {
    const auto& st = slot.status;
    if (st.state != ItemState::drifted) continue;
    changes.push_back({st.id, st.mode, st.current, st.desired, st.transport, blocked_reason(slot)});
  }
  return changes;
}

}  // namespace bmcquiet::policy
