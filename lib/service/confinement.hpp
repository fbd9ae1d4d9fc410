// Which CPUs bmcquietd's own threads may run on: the housekeeping CPUs, for
// every thread that does not place itself (the loop, the exporter, workers).
#pragma once

#include <string>

#include "platform/cpu_topology.hpp"
#include "service/setup.hpp"

namespace bmcquiet {

class Metrics;

class Confinement {
 public:
  // Construct before any other thread exists: the mask it finds is the one
  // the service was started with (systemd's CPUAffinity=, the cgroup cpuset).
  Confinement();

  // Confines every thread without a placement of its own to the housekeeping
  // CPUs of `config`; threads created later inherit it from the caller. When
  // that set is empty or outside the inherited mask, says why (once per
  // distinct reason) and keeps the inherited mask.
  void apply(const DaemonConfig& config);

  // The CPUs in force, and how many unplaced threads may run on an isolated CPU.
  void publish(Metrics& metrics);

 private:
  std::string problem(const CpuRoles& roles) const;

  CpuSet inherited_;
  CpuSet in_force_;
  CpuSet published_;
  CpuSet isolated_;
  std::string last_warning_;
};

}  // namespace bmcquiet
