// Fake SMI hardware for tests and the benchmark, each going through the same
// code path as the real thing:
//  - FakeCpuTree writes <root>/dev/cpu/N/msr as regular files where pread of 8
//    bytes at an MSR's address returns its value (exactly what the msr driver
//    serves), plus the sysfs files the collector reads (online, isolated, PMU).
//  - FakePmu stands where perf_event_open(2) and read(2) would be.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/paths.hpp"
#include "platform/perf_counter.hpp"

namespace bmcquiet::test {

class FakeCpuTree {
 public:
  explicit FakeCpuTree(std::string root) : root_(std::move(root)) {
    paths_.procfs = root_ + "/proc";
    paths_.sysfs = root_ + "/sys";
    paths_.devfs = root_ + "/dev";
    paths_.state = root_ + "/state";
  }
  const Paths& paths() const { return paths_; }

  void cpus(const std::string& online, const std::string& isolated = "") const {
    put(paths_.sysfs + "/devices/system/cpu/online", online + "\n");
    put(paths_.sysfs + "/devices/system/cpu/isolated", isolated + "\n");
    put(paths_.sysfs + "/devices/system/cpu/nohz_full", "\n");
  }
  void package(int cpu, int id) const {
    put(paths_.sysfs + "/devices/system/cpu/cpu" + std::to_string(cpu) +
            "/topology/physical_package_id",
        std::to_string(id) + "\n");
  }
  // Sets MSR `address` of `cpu`; the file grows to cover 0x200 like a register file.
  void msr(int cpu, std::uint32_t address, std::uint64_t value) const {
    const auto path = msr_file(cpu);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + path);
    struct stat st {};
    ::fstat(fd, &st);
    if (st.st_size < 0x200) (void)::ftruncate(fd, 0x200);
    (void)::pwrite(fd, &value, sizeof value, address);
    ::close(fd);
  }
  // MPERF (0xE7) and APERF (0xE8) are adjacent register numbers, so in a flat
  // file their 8-byte values overlap (the driver has no such overlap): MPERF
  // reads as its low byte with APERF above it. This writes both and returns
  // the MPERF value the collector will read.
  std::uint64_t aperf_mperf(int cpu, std::uint64_t aperf, std::uint8_t mperf_low) const {
    msr(cpu, 0xE7, mperf_low);
    msr(cpu, 0xE8, aperf);
    return mperf_low | (aperf << 8);
  }
  // A CPU whose file exists but is too short: pread at MSR 0x34 hits EOF like
  // a register the CPU does not implement (the driver answers EIO).
  void short_msr_file(int cpu) const { put(msr_file(cpu), std::string(0x10, '\0')); }
  void remove_msr(int cpu) const { std::filesystem::remove(msr_file(cpu)); }
  void pmu_event(const std::string& pmu, int type, const std::string& event,
                 const std::string& encoding) const {
    const auto dir = paths_.sysfs + "/bus/event_source/devices/" + pmu;
    put(dir + "/type", std::to_string(type) + "\n");
    put(dir + "/events/" + event, encoding + "\n");
  }
  void perf_paranoid(int level) const {
    put(paths_.procfs + "/sys/kernel/perf_event_paranoid", std::to_string(level) + "\n");
  }
  std::string msr_file(int cpu) const {
    return paths_.devfs + "/cpu/" + std::to_string(cpu) + "/msr";
  }

 private:
  static void put(const std::string& path, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  }
  std::string root_;
  Paths paths_;
};

// A PMU in memory: counts per (event config, CPU), errno to fail opens with.
class FakePmu final : public PerfBackend {
 public:
  struct Opened {
    PerfEventSpec spec;
    int cpu;
  };
  std::map<std::pair<std::uint64_t, int>, std::uint64_t> counts;  // (config, cpu) → value
  int open_errno = 0;         // every open fails with this when set
  int read_errno = 0;         // every read fails with this when set
  std::vector<Opened> opens;  // every successful open, in order
  std::uint64_t reads = 0;

  int open(const PerfEventSpec& spec, int cpu) override {
    if (open_errno) return -open_errno;
    opens.push_back({spec, cpu});
    fds_[next_fd_] = {spec.config, cpu};
    return next_fd_++;
  }
  std::int64_t read(int fd, std::uint64_t* value) override {
    ++reads;
    if (read_errno) return -read_errno;
    auto it = fds_.find(fd);
    if (it == fds_.end()) return -EBADF;
    *value = counts[it->second];
    return sizeof *value;
  }
  void close(int fd) override { fds_.erase(fd); }
  std::size_t open_fds() const { return fds_.size(); }

 private:
  std::map<int, std::pair<std::uint64_t, int>> fds_;
  int next_fd_ = 1000;
};

}  // namespace bmcquiet::test
