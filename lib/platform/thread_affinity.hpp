// Where this process's own threads may run: the mechanics of confining them
// to a CPU set, and the register of threads that place themselves (the TSC
// detector, the SMI sampler) and so must be left alone.
//
// Always the real /proc/self: these are our own threads, whatever procfs the
// configuration points the collectors at.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "platform/cpu_topology.hpp"

namespace bmcquiet {

// The calling thread's affinity mask; nullopt if the kernel refuses to say.
std::optional<CpuSet> current_thread_affinity();

// Held by a thread for as long as it places itself on CPUs of its choice:
// confine_threads() skips it. Registration and confinement share a lock, so a
// thread that registers and then pins itself is never overwritten mid-way.
class PlacedThread {
 public:
  PlacedThread();
  ~PlacedThread();
  PlacedThread(const PlacedThread&) = delete;
  PlacedThread& operator=(const PlacedThread&) = delete;

 private:
  int tid_;
};

struct ConfineResult {
  int confined = 0;                 // threads now limited to the set
  int placed = 0;                   // registered threads left alone
  std::vector<std::string> errors;  // per thread: tid and why
};

// Sets the affinity of every thread of this process except the registered
// ones to `cpus` (which must be non-empty).
ConfineResult confine_threads(const CpuSet& cpus);

struct ThreadPlacement {
  int tid = 0;
  std::string name;     // comm
  bool placed = false;  // registered as placing itself
  CpuSet allowed;       // Cpus_allowed_list
};

// Every thread of process `pid` ("self" or a number) as the kernel reports it.
std::vector<ThreadPlacement> list_thread_placement(const std::string& pid = "self");

}  // namespace bmcquiet
