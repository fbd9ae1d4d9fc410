// Where the System Management Interrupt count of a CPU comes from.
//
//   Intel  → MSR 0x34 (MSR_SMI_COUNT) via <devfs>/cpu/N/msr (32 bits, wraps)
//   Intel without the msr device → the perf msr PMU's `smi` event
//   AMD Zen / Hygon → core PMC event 0x2B (LS_SMI_RX) via perf_event_open
//
// Reading CPU N from another CPU makes the kernel IPI CPU N. Code that wants
// the count of the CPU it runs on (TSC gap attribution, IPMI self-cost) pins
// itself and calls read_smi_on_this_cpu(): no IPI. One SmiSource per thread:
// instances are not thread-safe (they cache per-CPU fds).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/paths.hpp"

namespace bmcquiet {

struct CpuidInfo;
class PerfBackend;

enum class SmiSourceKind { automatic, intel_msr, amd_pmc, perf_msr };

// Config spelling: "auto", "intel_msr", "amd_pmc", "perf_msr".
const char* to_string(SmiSourceKind kind);
std::optional<SmiSourceKind> smi_source_kind_from_string(std::string_view text);

struct SmiRead {
  bool ok = false;
  std::uint64_t count = 0;  // raw counter value; wraps at SmiSource::counter_bits()
  int error_number = 0;     // errno of the failure (ENOENT/ENXIO: CPU or device gone)
  std::string error;        // what, where, what to do
};

class SmiSource {
 public:
  virtual ~SmiSource();
  // The SMI count of `cpu`. Remote (IPI) unless the caller runs on `cpu`.
  virtual SmiRead read(int cpu) = 0;
  virtual SmiSourceKind kind() const = 0;
  // Width of the raw counter: deltas are taken modulo 2^bits.
  virtual int counter_bits() const = 0;
  // Syscalls issued so far (opens + reads), for cost accounting.
  virtual std::uint64_t syscalls() const = 0;
  // Closes what is cached for `cpu` (it went offline; its fd is stale).
  virtual void forget(int cpu) = 0;
};

// Everything open_smi_source may consult; defaults are the real machine.
struct SmiSourceOptions {
  SmiSourceKind kind = SmiSourceKind::automatic;
  const CpuidInfo* cpuid = nullptr;             // null → execute CPUID
  std::shared_ptr<PerfBackend> perf = nullptr;  // null → perf_event_open
  int probe_cpu = -1;                           // CPU used to probe; -1 → sched_getcpu()
};

// Picks (automatic) or takes (forced) a source and proves it with one read of
// probe_cpu. A forced kind skips the vendor check, so a test tree under
// --path.devfs works on any host. nullptr + *error when nothing works.
std::unique_ptr<SmiSource> open_smi_source(const Paths& paths, const SmiSourceOptions& options,
                                           std::string* error);
std::unique_ptr<SmiSource> open_smi_source(const Paths& paths, SmiSourceKind kind,
                                           std::string* error);

// The count of the CPU the caller runs on (sched_getcpu), read from that CPU.
// The caller must be pinned to one CPU, or the answer may belong to a CPU it
// has since migrated off. *cpu receives the CPU read.
SmiRead read_smi_on_this_cpu(SmiSource& source, int* cpu = nullptr);

// (now - before) modulo 2^bits: the events between two raw reads.
std::uint64_t counter_delta(std::uint64_t before, std::uint64_t now, int bits);

}  // namespace bmcquiet
