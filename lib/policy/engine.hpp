// The reconcile loop: observe → compare → act → verify, for every item.
//
// One pass visits the items one after another (one BMC, gently). An item in
// `enforce` that drifted is put back and read back; a failed re-apply backs
// off (doubling), an item that drifts back too often is `flapping` and left
// alone until its drifts have left the window (judged on every pass) or
// `bmcquietctl apply` re-arms it, and a maintenance pause stops all writes.
// A drift is a change from compliant to drifted: the BMC failing to answer in
// between changes nothing, so an outage never feeds the flap guard. Every
// action and every change of an item's visible state is logged to the
// journal and counted in metrics. Runs on the event loop only.
#pragma once

#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/item.hpp"
#include "policy/pause.hpp"
#include "policy/settings.hpp"

namespace bmcquiet {
class Metrics;
}

namespace bmcquiet::policy {

enum class ItemState { off, unknown, compliant, drifted, unsupported, error };
std::string_view to_string(ItemState state);

// What an operator sees for an item (the bmcquiet_policy_item_state series
// and the log line on every change): the base state, or what keeps an
// enforced item from being enforced. "unknown" before its first observation.
inline constexpr std::array<std::string_view, 7> kVisibleStates = {
    "compliant", "drifted", "unsupported", "error", "flapping", "paused", "off"};

struct ItemStatus {
  ItemId id{};
  Mode mode = Mode::report;
  ItemState state = ItemState::unknown;
  std::string current, desired, detail, transport;
  std::string visible = "unknown";  // one of kVisibleStates, or "unknown"
  bool flapping = false;
  bool backing_off = false;
  std::uint64_t drifts = 0, reapplies = 0, failures = 0;
};

struct EngineStatus {
  bool discovered = false;
  std::string identity;        // BmcIdentity::describe()
  std::string profile;         // profile name or ""
  std::string identification;  // why that profile / why none, or the discovery error
  std::optional<PauseRecord> pause;
  std::string pause_error;
  double last_reconcile_unix = 0;
  std::vector<ItemStatus> items;
};

// What `enforce` would change now, from the last observations.
struct PlannedChange {
  ItemId id{};
  Mode mode = Mode::report;
  std::string current, desired, transport;
  std::string blocked_by;  // "" = would be re-applied; else why not
};

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  struct Options {
    PolicySettings settings;
    std::string state_dir;
    Clock clock;  // null: steady_clock::now
  };

  Engine(Metrics& metrics, Options options, std::shared_ptr<Provider> provider);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // One pass; a call while a pass runs joins it. done runs on the loop.
  void reconcile(std::function<void()> done);
  // Stops acting on callbacks still in flight (collector stop / reload).
  void detach();

  EngineStatus status() const;
  std::vector<PlannedChange> plan() const;
  // Both return "" or an error (what, where, what to do). Durable.
  std::string pause(std::chrono::seconds duration, const std::string& reason);
  std::string resume();
  bool paused() const;
  bool pass_running() const { return running_; }
  // `bmcquietctl apply`: forgets the drifts of flapping items and the back-off
  // of failing ones, so the next pass enforces them again. Returns the items
  // re-armed (each one is logged).
  std::vector<ItemId> rearm();
  // The BMC stopped answering (its owner says so): what was compliant or
  // drifted is no longer known, so it shows as error until the next answer.
  void bmc_unreachable(const std::string& why);
  const PolicySettings& settings() const { return options_.settings; }
  const std::string& state_dir() const { return options_.state_dir; }

 private:
  struct Slot;
  struct Pass;

  void start_pass();
  void finish_pass();
  void step(std::size_t index);
  void observed(std::size_t index, Observation observation);
  void act(std::size_t index, const Observation& before);
  void verify(std::size_t index, std::string before, ActOutcome outcome);
  void record_drift(Slot& slot, const Observation& observation, bool after_outage);
  void judge_flapping(Slot& slot);
  std::string_view visible_state(const Slot& slot) const;
  void publish_all();
  std::string blocked_reason(const Slot& slot) const;
  void refresh_pause();
  // Sets the item's series; logs its visible state when it changed and log_change.
  void publish(Slot& slot, bool log_change = true);
  std::string state_reason(const Slot& slot, std::string_view visible) const;
  void audit(const Slot& slot, const std::string& before, const std::string& after,
             const std::string& result, bool failure);
  std::chrono::steady_clock::time_point now() const;
  template <typename F>
  auto guarded(F f);

  Metrics& metrics_;
  Options options_;
  std::shared_ptr<Provider> provider_;
  std::optional<BmcSupport> discovery_;
  std::vector<Slot> slots_;
  std::optional<PauseRecord> pause_;
  std::string pause_error_;
  double last_reconcile_unix_ = 0;
  bool running_ = false;
  bool detached_ = false;
  std::vector<std::function<void()>> waiters_;
};

// Which engine runs now: the policy collector sets it in start() and clears
// it in stop(); the D-Bus server, which outlives reloads, reads it. The daemon
// owns one and passes it to both. Loop thread only.
struct ActiveEngine {
  std::shared_ptr<Engine> engine;
};

}  // namespace bmcquiet::policy
