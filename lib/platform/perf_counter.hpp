// Per-CPU counting perf events (perf_event_open with pid = -1, cpu = N).
// The kernel side sits behind PerfBackend so tests can put a fake PMU there
// and still run every line above it (errno mapping, wrap, reopen).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "platform/msr.hpp"  // RegisterRead

namespace bmcquiet {

struct PerfEventSpec {
  std::uint32_t type = 0;    // PERF_TYPE_RAW, PERF_TYPE_SOFTWARE, or a PMU's sysfs type
  std::uint64_t config = 0;  // event encoding
  std::string name;          // for messages, e.g. "raw event 0x2B (LS_SMI_RX)"
};

class PerfBackend {
 public:
  virtual ~PerfBackend() = default;
  // A counting event on `cpu` for every task. Returns fd >= 0 or -errno.
  virtual int open(const PerfEventSpec& spec, int cpu) = 0;
  // The 64-bit count, or -errno. Reading another CPU's event IPIs that CPU.
  virtual std::int64_t read(int fd, std::uint64_t* value) = 0;
  virtual void close(int fd) = 0;
};

// perf_event_open(2) and read(2).
std::shared_ptr<PerfBackend> kernel_perf_backend();

// One event on one CPU, opened lazily and kept open. Not thread-safe.
class PerfCounter {
 public:
  PerfCounter(std::shared_ptr<PerfBackend> backend, PerfEventSpec spec, int cpu,
              std::string procfs = "/proc");
  ~PerfCounter();
  PerfCounter(PerfCounter&& other) noexcept;
  PerfCounter& operator=(PerfCounter&&) = delete;
  PerfCounter(const PerfCounter&) = delete;
  PerfCounter& operator=(const PerfCounter&) = delete;

  RegisterRead read();
  int cpu() const { return cpu_; }
  std::uint64_t syscalls() const { return syscalls_; }

 private:
  std::string open_error(int err) const;

  std::shared_ptr<PerfBackend> backend_;
  PerfEventSpec spec_;
  int cpu_;
  std::string procfs_;
  int fd_ = -1;
  std::uint64_t syscalls_ = 0;
};

// An event a PMU publishes in sysfs, e.g. ("msr", "smi") from
// <sysfs>/bus/event_source/devices/msr/{type,events/smi} ("event=0x04").
std::optional<PerfEventSpec> sysfs_pmu_event(const std::string& sysfs, const std::string& pmu,
                                             const std::string& event, std::string* error);

}  // namespace bmcquiet
