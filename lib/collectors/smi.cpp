#include "collectors/smi.hpp"

#include <pthread.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "platform/thread_affinity.hpp"

namespace bmcquiet {
namespace {

class SmiCollector final : public Collector {
 public:
  SmiCollector(const CollectorEnv& env, SmiSettings settings, SmiHardware hardware)
      : io_(env.io),
        metrics_(env.metrics),
        paths_(env.paths),
        cpus_(env.cpus),
        settings_(settings),
        hardware_(std::move(hardware)) {}

  ~SmiCollector() override { stop(); }

  void start() override {
    if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
  }

  void collect(CollectDone done) override {
    {
      std::lock_guard lock(mutex_);
      if (!worker_.joinable() || pending_) {
        done(CollectOutcome::failure("the SMI sampling thread is not running or still busy"));
        return;
      }
      pending_ = std::move(done);
    }
    wake_.notify_one();
  }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (worker_.joinable()) worker_.join();
  }

 private:
  void run() {
    // It moves itself onto each CPU it reads: the daemon's confinement leaves it be.
    PlacedThread placed;
    ::pthread_setname_np(::pthread_self(), "bmcquiet-smi");
    // Built on this thread: the fds it caches and the pinning belong here.
    SmiSampler sampler(metrics_, paths_, cpus_, settings_, hardware_);
    for (;;) {
      CollectDone done;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || pending_; });
        if (stopping_) return;
        done = std::move(*pending_);
        pending_.reset();
      }
      auto outcome = sampler.sample(std::chrono::steady_clock::now());
      boost::asio::post(io_, [done = std::move(done), outcome = std::move(outcome)]() mutable {
        done(std::move(outcome));
      });
    }
  }

  boost::asio::io_context& io_;
  Metrics& metrics_;
  Paths paths_;
  CpuSelection cpus_;
  SmiSettings settings_;
  SmiHardware hardware_;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<CollectDone> pending_;
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<Collector> make_smi_collector(const CollectorEnv& env, SmiSettings settings,
                                              SmiHardware hardware) {
  return std::make_unique<SmiCollector>(env, settings, std::move(hardware));
}

std::unique_ptr<Collector> make_smi_collector(const CollectorEnv& env, ConfigSection& section) {
  using namespace std::chrono_literals;
  SmiSettings s;
  const auto source =
      section.get_enum("source", "auto", {"auto", "intel_msr", "amd_pmc", "perf_msr"});
  s.source = smi_source_kind_from_string(source).value_or(SmiSourceKind::automatic);
  s.isolated_interval = section.get_duration("isolated_interval", 60s, 0s, 24h);
  s.pin = section.get_bool("pin", true);
  s.per_cpu = section.get_bool("per_cpu", false);
  s.throttle = section.get_bool("throttle", true);
  s.tolerance =
      static_cast<std::uint64_t>(section.get_int("disagreement_tolerance", 2, 0, 1'000'000));
  return make_smi_collector(env, s, {});
}

}  // namespace bmcquiet
