// Where this process's own threads may run: moving the calling thread between
// CPUs (CpuPinner, for the samplers), the mechanics of confining them
// to a CPU set, and the register of threads that place themselves (the TSC
// detector, the SMI sampler) and so must be left alone.
//
// Always the real /proc/self: these are our own threads, whatever procfs the
// configuration points the collectors at.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/cpu_topology.hpp"

namespace bmcquiet {

// The calling thread's affinity mask; nullopt if the kernel refuses to say.
std::optional<CpuSet> current_thread_affinity();

// Moves the calling thread between CPUs.
class CpuPinner {
 public:
  virtual ~CpuPinner() = default;
  // Runs the caller on `cpu` only; false when not allowed (cpuset, offline).
  virtual bool pin(int cpu) = 0;
  // Leaves the caller free to run on any of `home` (the housekeeping CPUs)
  // that its original affinity allowed — never on an isolated CPU — or, when
  // that leaves none, on its original affinity.
  virtual void unpin(const std::vector<int>& home) = 0;
  virtual std::uint64_t syscalls() const = 0;
};
std::shared_ptr<CpuPinner> make_thread_pinner();  // sched_setaffinity(0, ...)

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
