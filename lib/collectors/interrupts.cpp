#include "collectors/interrupts.hpp"

#include <map>

#include <fmt/format.h>

#include "core/files.hpp"
#include "metrics/metrics.hpp"
#include "platform/proc_interrupts.hpp"

namespace bmcquiet {
namespace {

constexpr const char* kInterruptsTotal = "bmcquiet_interrupts_total";
constexpr const char* kInterruptsCpuTotal = "bmcquiet_interrupts_cpu_total";
constexpr const char* kCpus = "bmcquiet_cpus";

class InterruptsCollector final : public Collector {
 public:
  InterruptsCollector(const CollectorEnv& env, bool per_cpu)
      : metrics_(env.metrics), paths_(env.paths), cpus_(env.cpus), per_cpu_(per_cpu) {}

  void collect(CollectDone done) override { done(collect_once()); }

 private:
  // Raw counts move backwards when a CPU goes offline or a driver frees its
  // line; the exported counters only ever add the forward deltas.
  struct Key {
    int cpu;
    InterruptSource source;
    auto operator<=>(const Key&) const = default;
  };

  CollectOutcome collect_once() {
    const auto file = paths_.procfs + "/interrupts";
    auto text = read_small_file(file);
    if (!text)
      return CollectOutcome::failure(fmt::format("cannot read {}; check --path.procfs", file));
    std::string error;
    auto table = parse_proc_interrupts(*text, &error);
    if (!table) return CollectOutcome::failure(fmt::format("{}: {}", file, error));
    auto roles = resolve_cpu_roles(paths_.sysfs, cpus_);
    if (!roles.error.empty()) return CollectOutcome::failure(roles.error);
    publish_roles(roles);
    account(sum_by_cpu_and_source(*table), roles);
    return CollectOutcome::success();
  }

  static std::map<Key, std::uint64_t> sum_by_cpu_and_source(const InterruptTable& table) {
    std::map<Key, std::uint64_t> sums;
    for (const auto& row : table.rows) {
      auto source = classify_interrupt(row);
      if (source == InterruptSource::none) continue;
      for (std::size_t i = 0; i < row.counts.size(); ++i)
        sums[{table.cpus[i], source}] += row.counts[i];
    }
    return sums;
  }

  void account(const std::map<Key, std::uint64_t>& sums, const CpuRoles& roles) {
    for (auto source : {InterruptSource::serial, InterruptSource::ipmi, InterruptSource::ipi_call,
                        InterruptSource::ipi_tlb, InterruptSource::ipi_resched}) {
      // Create both classes' series up front so rate() has a zero baseline.
      class_counter("isolated", source);
      class_counter("housekeeping", source);
    }
    for (const auto& [key, value] : sums) {
      auto [it, first] = last_.try_emplace(key, value);
      const std::uint64_t delta = !first && value >= it->second ? value - it->second : 0;
      it->second = value;
      const bool isolated = roles.isolated.count(key.cpu) > 0;
      class_counter(isolated ? "isolated" : "housekeeping", key.source).Increment(double(delta));
      if (per_cpu_ && isolated) {
        metrics_
            .counter(
                kInterruptsCpuTotal, "Interrupts per isolated CPU and source (per_cpu: true)",
                {{"cpu", std::to_string(key.cpu)}, {"source", std::string(to_string(key.source))}})
            .Increment(double(delta));
      }
    }
  }

  prometheus::Counter& class_counter(const char* cpu_class, InterruptSource source) {
    return metrics_.counter(kInterruptsTotal,
                            "Interrupts by CPU class and source, from /proc/interrupts",
                            {{"cpu_class", cpu_class}, {"source", std::string(to_string(source))}});
  }

  void publish_roles(const CpuRoles& roles) {
    const char* help = "CPUs per role (isolated = isolcpus/nohz_full or the cpus: override)";
    metrics_.gauge(kCpus, help, {{"class", "online"}}).Set(double(roles.online.size()));
    metrics_.gauge(kCpus, help, {{"class", "isolated"}}).Set(double(roles.isolated.size()));
    metrics_.gauge(kCpus, help, {{"class", "housekeeping"}}).Set(double(roles.housekeeping.size()));
  }

  Metrics& metrics_;
  Paths paths_;
  CpuSelection cpus_;
  bool per_cpu_;
  std::map<Key, std::uint64_t> last_;
};

}  // namespace

std::unique_ptr<Collector> make_interrupts_collector(const CollectorEnv& env,
                                                     ConfigSection& section) {
  const bool per_cpu = section.get_bool("per_cpu", false);
  return std::make_unique<InterruptsCollector>(env, per_cpu);
}

}  // namespace bmcquiet
