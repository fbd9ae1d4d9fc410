#include "platform/msr.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace bmcquiet {

std::string msr_path(const std::string& devfs, int cpu) {
  return fmt::format("{}/cpu/{}/msr", devfs, cpu);
}

MsrDevice::MsrDevice(std::string devfs, int cpu) : path_(msr_path(devfs, cpu)), cpu_(cpu) {}

MsrDevice::~MsrDevice() { close_fd(); }

MsrDevice::MsrDevice(MsrDevice&& other) noexcept
    : path_(std::move(other.path_)),
      cpu_(other.cpu_),
      fd_(std::exchange(other.fd_, -1)),
      syscalls_(other.syscalls_) {}

MsrDevice& MsrDevice::operator=(MsrDevice&& other) noexcept {
  if (this != &other) {
    close_fd();
    path_ = std::move(other.path_);
    cpu_ = other.cpu_;
    fd_ = std::exchange(other.fd_, -1);
    syscalls_ = other.syscalls_;
  }
  return *this;
}

void MsrDevice::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string MsrDevice::open_error(int err) const {
  switch (err) {
    case ENOENT:
    case ENXIO:
    case ENODEV:
      return fmt::format(
          "{} does not exist ({}): load the msr driver (modprobe msr; persist it with "
          "'msr' in /etc/modules-load.d/bmcquiet.conf), or CPU {} is offline",
          path_, std::strerror(err), cpu_);
    case EACCES:
    case EPERM:
      return fmt::format(
          "cannot open {} ({}): reading MSRs needs CAP_SYS_RAWIO and read access to the device "
          "(AmbientCapabilities=CAP_SYS_RAWIO CAP_DAC_OVERRIDE and DeviceAllow=char-cpu/msr r in "
          "the "
          "unit)",
          path_, std::strerror(err));
    default:
      return fmt::format("cannot open {}: {}", path_, std::strerror(err));
  }
}

RegisterRead MsrDevice::read(std::uint32_t address) {
  if (fd_ < 0) {
    ++syscalls_;
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int err = errno;
      return RegisterRead::failure(err, open_error(err));
    }
  }
  std::uint64_t value = 0;
  ++syscalls_;
  const ssize_t n = ::pread(fd_, &value, sizeof value, address);
  if (n == static_cast<ssize_t>(sizeof value)) return RegisterRead::success(value);
  const int err = n < 0 ? errno : EIO;
  if (err == EIO)
    return RegisterRead::failure(
        err, fmt::format("{}: reading MSR {:#x} faulted (EIO): this CPU or hypervisor does not "
                         "implement it",
                         path_, address));
  // A CPU that went offline leaves a stale fd answering ENXIO; reopen next time.
  close_fd();
  return RegisterRead::failure(
      err, fmt::format("{}: reading MSR {:#x} failed: {}", path_, address, std::strerror(err)));
}

}  // namespace bmcquiet
