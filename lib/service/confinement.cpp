#include "service/confinement.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "metrics/metrics.hpp"
#include "metrics/names.hpp"
#include "platform/thread_affinity.hpp"

namespace bmcquiet {

Confinement::Confinement() : inherited_(current_thread_affinity().value_or(CpuSet{})) {}

std::string Confinement::problem(const CpuRoles& roles) const {
  if (!roles.error.empty()) return fmt::format("the CPU roles are unknown ({})", roles.error);
  if (roles.housekeeping.empty())
    return "there is no housekeeping CPU (every online CPU is isolated); set cpus.housekeeping";
  if (!std::includes(inherited_.begin(), inherited_.end(), roles.housekeeping.begin(),
                     roles.housekeeping.end()))
    return fmt::format(
        "the housekeeping CPUs {} are not all among the CPUs this service may use ({}: systemd's "
        "CPUAffinity= or the cgroup's cpuset); set cpus.housekeeping to a subset of them",
        format_cpu_list(roles.housekeeping), format_cpu_list(inherited_));
  return {};
}

void Confinement::apply(const DaemonConfig& config) {
  const auto roles = resolve_cpu_roles(config.paths.sysfs, config.cpus);
  isolated_ = roles.isolated;
  const auto why =
      inherited_.empty() ? "the kernel did not report bmcquietd's CPU affinity" : problem(roles);
  if (!why.empty() && why != last_warning_) {
    spdlog::warn(
        "bmcquietd's own threads are not confined to housekeeping CPUs: {}; they keep "
        "the CPUs they were started with ({})",
        why, format_cpu_list(inherited_));
  }
  last_warning_ = why;
  if (inherited_.empty()) return;
  const auto target = why.empty() ? roles.housekeeping : inherited_;
  auto result = confine_threads(target);
  for (const auto& error : result.errors)
    spdlog::warn("cannot confine bmcquietd's {} to CPUs {}", error, format_cpu_list(target));
  if (target != in_force_)
    spdlog::info(
        "bmcquietd's threads run on CPUs {} (the TSC detector and SMI sampler "
        "place themselves)",
        format_cpu_list(target));
  in_force_ = target;
}

void Confinement::publish(Metrics& metrics) {
  for (int cpu : published_)
    if (!in_force_.count(cpu))
      metrics.remove_gauge(names::kDaemonCpuAllowed, {{"cpu", std::to_string(cpu)}});
  for (int cpu : in_force_)
    metrics
        .gauge(names::kDaemonCpuAllowed,
               "1 for each CPU bmcquietd's threads without a placement of their own may run on",
               {{"cpu", std::to_string(cpu)}})
        .Set(1);
  published_ = in_force_;
  int on_isolated = 0;
  for (const auto& thread : list_thread_placement()) {
    const bool touches = std::any_of(thread.allowed.begin(), thread.allowed.end(),
                                     [&](int cpu) { return isolated_.count(cpu) > 0; });
    if (!thread.placed && touches) ++on_isolated;
  }
  metrics
      .gauge(names::kDaemonThreadsOnIsolated,
             "bmcquietd threads without a placement of their own that may run on an isolated CPU")
      .Set(on_isolated);
}

}  // namespace bmcquiet
