// Model-specific registers through the Linux msr driver: <devfs>/cpu/N/msr,
// where pread(fd, 8 bytes, offset = MSR address) is one RDMSR on CPU N. When
// the caller runs on another CPU, the driver sends CPU N an IPI to do it.
#pragma once

#include <cstdint>
#include <string>

namespace bmcquiet {

namespace msr {
inline constexpr std::uint32_t kSmiCount = 0x34;             // Intel MSR_SMI_COUNT, bits 31:0
inline constexpr std::uint32_t kMperf = 0xE7;                // IA32_MPERF (Intel and AMD)
inline constexpr std::uint32_t kAperf = 0xE8;                // IA32_APERF (Intel and AMD)
inline constexpr std::uint32_t kThermStatus = 0x19C;         // Intel IA32_THERM_STATUS
inline constexpr std::uint32_t kPackageThermStatus = 0x1B1;  // Intel IA32_PACKAGE_THERM_STATUS
}  // namespace msr

// A value or what went wrong (what, where, what to do); errno kept for callers
// that branch on the cause (ENOENT = CPU gone, EIO = register not implemented).
struct RegisterRead {
  bool ok = false;
  std::uint64_t value = 0;
  int error_number = 0;
  std::string error;

  static RegisterRead success(std::uint64_t v) { return {true, v, 0, {}}; }
  static RegisterRead failure(int err, std::string message) {
    return {false, 0, err, std::move(message)};
  }
};

// One CPU's msr device, opened lazily and kept open. Not thread-safe.
class MsrDevice {
 public:
  MsrDevice(std::string devfs, int cpu);
  ~MsrDevice();
  MsrDevice(MsrDevice&& other) noexcept;
  MsrDevice& operator=(MsrDevice&& other) noexcept;
  MsrDevice(const MsrDevice&) = delete;
  MsrDevice& operator=(const MsrDevice&) = delete;

  RegisterRead read(std::uint32_t address);
  const std::string& path() const { return path_; }
  int cpu() const { return cpu_; }
  // Syscalls issued so far (open + pread), for the sampling-cost benchmark.
  std::uint64_t syscalls() const { return syscalls_; }

 private:
  std::string open_error(int err) const;
  void close_fd();

  std::string path_;
  int cpu_ = 0;
  int fd_ = -1;
  std::uint64_t syscalls_ = 0;
};

std::string msr_path(const std::string& devfs, int cpu);

}  // namespace bmcquiet
