#include "collectors/scheduler.hpp"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/log.hpp"
#include "metrics/metrics.hpp"
#include "metrics/names.hpp"

namespace bmcquiet {

struct Scheduler::Slot : std::enable_shared_from_this<Slot> {
  Slot(boost::asio::io_context& io, Metrics& registry, ScheduledCollector planned)
      : name(std::move(planned.name)),
        interval(planned.interval),
        collector(std::move(planned.collector)),
        timer(io),
        metrics(registry),
        errors(
            metrics.counter(names::kCollectorErrors, "Runs that failed", {{"collector", name}})) {}

  void schedule(std::chrono::steady_clock::time_point when) {
    timer.expires_at(when);
    timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (auto self = weak.lock(); self && !ec && !self->stopped) self->tick();
    });
  }

  void tick() {
    const auto now = std::chrono::steady_clock::now();
    // Fixed-rate schedule that skips missed ticks instead of bursting.
    next_due += interval;
    if (next_due <= now) next_due = now + interval;
    schedule(next_due);
    if (in_flight) {
      record(CollectOutcome::failure(
                 fmt::format(
                     "still running after its interval ({} ms): waiting on something slow (a BMC "
                     "that stopped answering?), or the interval is too short for it — see the next "
                     "message, or raise collectors.{}.interval",
                     std::chrono::duration_cast<std::chrono::milliseconds>(interval).count(), name),
                 ProblemKind::overrun),
             now);
      return;
    }
    in_flight = true;
    collector->collect([weak = weak_from_this(), started = now](CollectOutcome outcome) {
      auto self = weak.lock();
      if (!self || self->stopped) return;
      self->in_flight = false;
      self->record(std::move(outcome), started);
    });
  }

  void record(CollectOutcome outcome, std::chrono::steady_clock::time_point started) {
    const auto elapsed = std::chrono::steady_clock::now() - started;
    // up/duration/last_success appear with the first result: an up=0 before the
    // first run would look like a failure to every alert at each restart.
    const Labels labels{{"collector", name}};
    metrics.gauge(names::kCollectorDuration, "How long the last run took", labels)
        .Set(std::chrono::duration<double>(elapsed).count());
    metrics.gauge(names::kCollectorUp, "1 if the collector's last run succeeded", labels)
        .Set(outcome.ok ? 1 : 0);
    auto& last_success =
        metrics.gauge(names::kCollectorLastSuccess, "Unix time of the last successful run", labels);
    finished_once = true;
    if (outcome.ok) {
      last_success.Set(
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count());
      if (!last_error.empty()) spdlog::info("collector {} recovered", name);
      last_error.clear();
      last_problem.clear();
      return;
    }
    errors.Increment();
    // One line per new kind of problem, not one per interval, nor one per
    // retry count, timing or URL in its text.
    auto problem = dedup_key({outcome.kind, outcome.error});
    if (problem != last_problem) spdlog::warn("collector {} is down: {}", name, outcome.error);
    last_problem = std::move(problem);
    last_error = std::move(outcome.error);
  }

  std::string name;
  std::chrono::nanoseconds interval;
  std::unique_ptr<Collector> collector;
  boost::asio::steady_timer timer;
  Metrics& metrics;
  prometheus::Counter& errors;
  std::chrono::steady_clock::time_point next_due;
  std::string last_error;
  std::string last_problem;  // dedup_key() of the last failure
  bool in_flight = false;
  bool stopped = false;
  bool finished_once = false;
};

Scheduler::Scheduler(boost::asio::io_context& io, Metrics& metrics) : io_(io), metrics_(metrics) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start(std::vector<ScheduledCollector> collectors) {
  for (auto& planned : collectors) {
    auto slot = std::make_shared<Slot>(io_, metrics_, std::move(planned));
    slot->collector->start();
    slot->next_due = std::chrono::steady_clock::now();
    slot->schedule(slot->next_due);
    slots_.push_back(std::move(slot));
  }
}

void Scheduler::stop() {
  for (auto& slot : slots_) {
    slot->stopped = true;
    slot->timer.cancel();
    slot->collector->stop();
  }
  slots_.clear();
}

void Scheduler::replace(std::vector<ScheduledCollector> collectors) {
  std::vector<std::string> dropped;
  for (const auto& slot : slots_) {
    bool kept = false;
    for (const auto& planned : collectors) kept = kept || planned.name == slot->name;
    if (!kept) dropped.push_back(slot->name);
  }
  stop();
  for (const auto& name : dropped) {
    const Labels labels{{"collector", name}};
    metrics_.remove_gauge(names::kCollectorUp, labels);
    metrics_.remove_gauge(names::kCollectorDuration, labels);
    metrics_.remove_gauge(names::kCollectorLastSuccess, labels);
    metrics_.remove_counter(names::kCollectorErrors, labels);
  }
  start(std::move(collectors));
}

std::string Scheduler::summary() const {
  std::size_t up = 0, starting = 0;
  std::string down;
  for (const auto& slot : slots_) {
    if (!slot->finished_once) {
      ++starting;
    } else if (slot->last_error.empty()) {
      ++up;
    } else {
      down += down.empty() ? slot->name : ", " + slot->name;
    }
  }
  auto line = fmt::format("{}/{} collectors up", up, slots_.size());
  if (starting) line += fmt::format(", {} starting", starting);
  return down.empty() ? line : fmt::format("{} (down: {})", line, down);
}

}  // namespace bmcquiet
