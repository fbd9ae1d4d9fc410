#include "platform/smi_source.hpp"

#include <linux/perf_event.h>
#include <sched.h>

#include <cerrno>
#include <map>

#include <fmt/format.h>

#include "platform/cpuid.hpp"
#include "platform/msr.hpp"
#include "platform/perf_counter.hpp"

namespace bmcquiet {
namespace {

constexpr std::uint64_t kAmdLsSmiRx = 0x2B;  // Zen core PMC event: SMIs received

SmiRead from_register(const RegisterRead& r, std::uint64_t mask) {
  return {r.ok, r.value & mask, r.error_number, r.error};
}

class MsrSmiSource final : public SmiSource {
 public:
  explicit MsrSmiSource(std::string devfs) : devfs_(std::move(devfs)) {}

  SmiRead read(int cpu) override {
    auto& dev = devices_.try_emplace(cpu, devfs_, cpu).first->second;
    return from_register(dev.read(msr::kSmiCount), 0xFFFF'FFFFull);
  }
  SmiSourceKind kind() const override { return SmiSourceKind::intel_msr; }
  int counter_bits() const override { return 32; }
  std::uint64_t syscalls() const override {
    std::uint64_t n = 0;
    for (const auto& [cpu, dev] : devices_) n += dev.syscalls();
    return n;
  }
  void forget(int cpu) override { devices_.erase(cpu); }

 private:
  std::string devfs_;
  std::map<int, MsrDevice> devices_;
};

class PerfSmiSource final : public SmiSource {
 public:
  PerfSmiSource(SmiSourceKind kind, std::shared_ptr<PerfBackend> backend, PerfEventSpec spec,
                std::string procfs)
      : kind_(kind),
        backend_(std::move(backend)),
        spec_(std::move(spec)),
        procfs_(std::move(procfs)) {}

  SmiRead read(int cpu) override {
    auto it = counters_.find(cpu);
    if (it == counters_.end())
      it = counters_.emplace(cpu, PerfCounter(backend_, spec_, cpu, procfs_)).first;
    return from_register(it->second.read(), ~0ull);
  }
  SmiSourceKind kind() const override { return kind_; }
  // perf accumulates the hardware counter into 64 bits (the msr PMU sign-
  // extends MSR 0x34's 32-bit deltas), so the value does not wrap in practice.
  int counter_bits() const override { return 64; }
  std::uint64_t syscalls() const override {
    std::uint64_t n = 0;
    for (const auto& [cpu, counter] : counters_) n += counter.syscalls();
    return n;
  }
  void forget(int cpu) override { counters_.erase(cpu); }

 private:
  SmiSourceKind kind_;
  std::shared_ptr<PerfBackend> backend_;
  PerfEventSpec spec_;
  std::string procfs_;
  std::map<int, PerfCounter> counters_;
};

// Builds the source for `kind` (never automatic) and proves it with one read.
std::unique_ptr<SmiSource> open_kind(const Paths& paths, SmiSourceKind kind,
                                     const std::shared_ptr<PerfBackend>& perf, int cpu,
                                     std::string* error) {
  std::unique_ptr<SmiSource> source;
  if (kind == SmiSourceKind::intel_msr) {
    source = std::make_unique<MsrSmiSource>(paths.devfs);
  } else if (kind == SmiSourceKind::amd_pmc) {
    source = std::make_unique<PerfSmiSource>(
        kind, perf, PerfEventSpec{PERF_TYPE_RAW, kAmdLsSmiRx, "raw event 0x2B (LS_SMI_RX)"},
        paths.procfs);
  } else {
    auto spec = sysfs_pmu_event(paths.sysfs, "msr", "smi", error);
    if (!spec) return nullptr;
    source = std::make_unique<PerfSmiSource>(kind, perf, *spec, paths.procfs);
  }
  auto probe = source->read(cpu);
  if (probe.ok) return source;
  *error = probe.error;
  return nullptr;
}

std::unique_ptr<SmiSource> open_intel(const Paths& paths, const std::shared_ptr<PerfBackend>& perf,
                                      int cpu, std::string* error) {
  std::string msr_error;
  if (auto source = open_kind(paths, SmiSourceKind::intel_msr, perf, cpu, &msr_error))
    return source;
  std::string perf_error;
  if (auto source = open_kind(paths, SmiSourceKind::perf_msr, perf, cpu, &perf_error))
    return source;
  *error =
      fmt::format("Intel CPU, but neither SMI counter is readable. MSR 0x34: {}. perf msr PMU: {}",
                  msr_error, perf_error);
  return nullptr;
}

}  // namespace

SmiSource::~SmiSource() = default;

const char* to_string(SmiSourceKind kind) {
  switch (kind) {
    case SmiSourceKind::intel_msr:
      return "intel_msr";
    case SmiSourceKind::amd_pmc:
      return "amd_pmc";
    case SmiSourceKind::perf_msr:
      return "perf_msr";
    case SmiSourceKind::automatic:
      break;
  }
  return "auto";
}

std::optional<SmiSourceKind> smi_source_kind_from_string(std::string_view text) {
  for (auto kind : {SmiSourceKind::automatic, SmiSourceKind::intel_msr, SmiSourceKind::amd_pmc,
                    SmiSourceKind::perf_msr})
    if (text == to_string(kind)) return kind;
  return std::nullopt;
}

std::unique_ptr<SmiSource> open_smi_source(const Paths& paths, const SmiSourceOptions& options,
                                           std::string* error) {
  std::string scratch;
  if (!error) error = &scratch;
  const auto perf = options.perf ? options.perf : kernel_perf_backend();
  int cpu = options.probe_cpu >= 0 ? options.probe_cpu : ::sched_getcpu();
  if (cpu < 0) cpu = 0;
  if (options.kind != SmiSourceKind::automatic)
    return open_kind(paths, options.kind, perf, cpu, error);

  CpuidInfo info;
  if (options.cpuid) {
    info = *options.cpuid;
  } else if (auto regs = read_cpuid()) {
    info = decode_cpuid(*regs);
  }
  if (info.vendor == CpuVendor::intel) return open_intel(paths, perf, cpu, error);
  if (is_zen(info)) return open_kind(paths, SmiSourceKind::amd_pmc, perf, cpu, error);
  if (info.vendor == CpuVendor::amd) {
    *error = fmt::format(
        "AMD family {:#x} has no SMI counter bmcquiet knows: PMC event 0x2B (LS_SMI_RX) is Zen "
        "(family 0x17 and later); MSR 0x34 is Intel-only and is never read on AMD",
        info.family);
    return nullptr;
  }
  *error = fmt::format(
      "CPU vendor '{}' has no SMI counter bmcquiet knows (Intel MSR 0x34, AMD Zen PMC 0x2B); "
      "set collectors.smi.source to force one",
      info.vendor_id.empty() ? "unknown (no CPUID)" : info.vendor_id);
  return nullptr;
}

std::unique_ptr<SmiSource> open_smi_source(const Paths& paths, SmiSourceKind kind,
                                           std::string* error) {
  SmiSourceOptions options;
  options.kind = kind;
  return open_smi_source(paths, options, error);
}

SmiRead read_smi_on_this_cpu(SmiSource& source, int* cpu) {
  const int here = ::sched_getcpu();
  if (cpu) *cpu = here;
  if (here < 0) return {false, 0, errno, "sched_getcpu() failed: cannot tell which CPU to read"};
  return source.read(here);
}

std::uint64_t counter_delta(std::uint64_t before, std::uint64_t now, int bits) {
  const std::uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
  return (now - before) & mask;
}

}  // namespace bmcquiet
