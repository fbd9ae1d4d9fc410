#include "platform/perf_counter.hpp"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "core/files.hpp"

namespace bmcquiet {
namespace {

class KernelPerfBackend final : public PerfBackend {
 public:
  int open(const PerfEventSpec& spec, int cpu) override {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = spec.type;
    attr.config = spec.config;
    // Counting only (no sampling, no interrupts); system-wide on this CPU.
    const long fd = ::syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : static_cast<int>(fd);
  }

  std::int64_t read(int fd, std::uint64_t* value) override {
    // perf fds do not support pread (ESPIPE); read(2) always returns the current count.
    const ssize_t n = ::read(fd, value, sizeof *value);
    if (n == static_cast<ssize_t>(sizeof *value)) return n;
    return n < 0 ? -errno : -EIO;
  }

  void close(int fd) override { ::close(fd); }
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

template <typename T>
std::optional<T> parse_number(std::string_view text, int base) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

std::shared_ptr<PerfBackend> kernel_perf_backend() {
  static const auto backend = std::make_shared<KernelPerfBackend>();
  return backend;
}

PerfCounter::PerfCounter(std::shared_ptr<PerfBackend> backend, PerfEventSpec spec, int cpu,
                         std::string procfs)
    : backend_(std::move(backend)), spec_(std::move(spec)), cpu_(cpu), procfs_(std::move(procfs)) {}

PerfCounter::~PerfCounter() {
  if (fd_ >= 0) backend_->close(fd_);
}

PerfCounter::PerfCounter(PerfCounter&& other) noexcept
    : backend_(std::move(other.backend_)),
      spec_(std::move(other.spec_)),
      cpu_(other.cpu_),
      procfs_(std::move(other.procfs_)),
      fd_(std::exchange(other.fd_, -1)),
      syscalls_(other.syscalls_) {}

std::string PerfCounter::open_error(int err) const {
  const auto paranoid_file = procfs_ + "/sys/kernel/perf_event_paranoid";
  switch (err) {
    case ENOENT:
    case EOPNOTSUPP:
    case ENODEV:
      return fmt::format(
          "perf_event_open({}) on CPU {} failed ({}): no PMU counts this event here; in a VM "
          "expose the host PMU to the guest (e.g. libvirt <cpu mode='host-passthrough'> with "
          "<pmu state='on'/>), on bare metal check that the CPU model supports it",
          spec_.name, cpu_, std::strerror(err));
    case EACCES:
    case EPERM: {
      const auto level = read_small_file(paranoid_file);
      return fmt::format(
          "perf_event_open({}) on CPU {} failed ({}): per-CPU events need CAP_PERFMON "
          "(AmbientCapabilities=CAP_PERFMON in the unit) or {} <= 0 (it is {})",
          spec_.name, cpu_, std::strerror(err), paranoid_file,
          level ? trim(*level) : std::string("unreadable"));
    }
    case EINVAL:
    case ENXIO:
      return fmt::format("perf_event_open({}) on CPU {} failed ({}): the CPU is offline or absent",
                         spec_.name, cpu_, std::strerror(err));
    default:
      return fmt::format("perf_event_open({}) on CPU {} failed: {}", spec_.name, cpu_,
                         std::strerror(err));
  }
}

RegisterRead PerfCounter::read() {
  if (fd_ < 0) {
    ++syscalls_;
    const int fd = backend_->open(spec_, cpu_);
    if (fd < 0) return RegisterRead::failure(-fd, open_error(-fd));
    fd_ = fd;
  }
  std::uint64_t value = 0;
  ++syscalls_;
  const auto n = backend_->read(fd_, &value);
  if (n >= 0) return RegisterRead::success(value);
  // The kernel tears an event down when its CPU goes offline; reopen next time.
  backend_->close(fd_);
  fd_ = -1;
  return RegisterRead::failure(static_cast<int>(-n),
                               fmt::format("reading perf event {} on CPU {} failed: {}", spec_.name,
                                           cpu_, std::strerror(static_cast<int>(-n))));
}

std::optional<PerfEventSpec> sysfs_pmu_event(const std::string& sysfs, const std::string& pmu,
                                             const std::string& event, std::string* error) {
  const auto dir = fmt::format("{}/bus/event_source/devices/{}", sysfs, pmu);
  auto type_text = read_small_file(dir + "/type");
  auto event_text = read_small_file(dir + "/events/" + event);
  if (!type_text || !event_text) {
    if (error)
      *error = fmt::format("{}/events/{} is absent: the kernel has no '{}' PMU event here", dir,
                           event, pmu);
    return std::nullopt;
  }
  auto type = parse_number<std::uint32_t>(trim(*type_text), 10);
  // The msr PMU's events are a single "event=0x.." term.
  const auto term = trim(*event_text);
  std::optional<std::uint64_t> config;
  if (term.rfind("event=0x", 0) == 0) config = parse_number<std::uint64_t>(term.substr(8), 16);
  if (!type || !config) {
    if (error)
      *error = fmt::format("{}: cannot parse type '{}' / event '{}'", dir, trim(*type_text), term);
    return std::nullopt;
  }
  return PerfEventSpec{*type, *config, fmt::format("{}/{}", pmu, event)};
}

}  // namespace bmcquiet
