#include "platform/thread_affinity.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>

#include <fmt/format.h>

namespace bmcquiet {
namespace {

std::mutex& register_mutex() {
  static std::mutex m;
  return m;
}

std::set<int>& placed_tids() {
  static std::set<int> tids;
  return tids;
}

int own_tid() { return static_cast<int>(::syscall(SYS_gettid)); }

std::vector<int> task_ids(const std::string& pid) {
  std::vector<int> tids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + pid + "/task", ec)) {
    const auto name = entry.path().filename().string();
    int tid = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), tid);
    if (err == std::errc() && end == name.data() + name.size()) tids.push_back(tid);
  }
  return tids;
}

CpuSet from_mask(const cpu_set_t& mask) {
  CpuSet cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &mask)) cpus.insert(cpu);
  return cpus;
}

class ThreadPinner final : public CpuPinner {
 public:
  bool pin(int cpu) override {
    if (!saved_) {
      ++syscalls_;
      cpu_set_t mask;
      CPU_ZERO(&mask);
      if (::sched_getaffinity(0, sizeof mask, &mask) == 0) saved_ = mask;
    }
    if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ++syscalls_;
    // The kernel migrates the caller before returning; sched_getcpu() confirms.
    return ::sched_setaffinity(0, sizeof one, &one) == 0 && ::sched_getcpu() == cpu;
  }
  void unpin(const std::vector<int>& home) override {
    if (!saved_) return;
    cpu_set_t mask;
    CPU_ZERO(&mask);
    for (int cpu : home)
      if (cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &*saved_)) CPU_SET(cpu, &mask);
    ++syscalls_;
    ::sched_setaffinity(0, sizeof mask, CPU_COUNT(&mask) > 0 ? &mask : &*saved_);
  }
  std::uint64_t syscalls() const override { return syscalls_; }

 private:
  std::optional<cpu_set_t> saved_;
  std::uint64_t syscalls_ = 0;
};

}  // namespace

std::shared_ptr<CpuPinner> make_thread_pinner() { return std::make_shared<ThreadPinner>(); }

std::optional<CpuSet> current_thread_affinity() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (::sched_getaffinity(0, sizeof mask, &mask) != 0) return std::nullopt;
  return from_mask(mask);
}

PlacedThread::PlacedThread() : tid_(own_tid()) {
  std::lock_guard lock(register_mutex());
  placed_tids().insert(tid_);
}

PlacedThread::~PlacedThread() {
  std::lock_guard lock(register_mutex());
  placed_tids().erase(tid_);
}

ConfineResult confine_threads(const CpuSet& cpus) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  for (int cpu : cpus)
    if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_SET(cpu, &mask);
  ConfineResult result;
  std::lock_guard lock(register_mutex());
  for (int tid : task_ids("self")) {
    if (placed_tids().count(tid)) {
      ++result.placed;
      continue;
    }
    // ESRCH: the thread ended since the listing; nothing left to confine.
    if (::sched_setaffinity(tid, sizeof mask, &mask) == 0) {
      ++result.confined;
    } else if (errno != ESRCH) {
      result.errors.push_back(fmt::format("thread {}: {}", tid, std::strerror(errno)));
    }
  }
  return result;
}

std::vector<ThreadPlacement> list_thread_placement(const std::string& pid) {
  std::set<int> placed;
  if (pid == "self") {
    std::lock_guard lock(register_mutex());
    placed = placed_tids();
  }
  std::vector<ThreadPlacement> threads;
  for (int tid : task_ids(pid)) {
    const auto dir = fmt::format("/proc/{}/task/{}/", pid, tid);
    ThreadPlacement t;
    t.tid = tid;
    t.placed = placed.count(tid) > 0;
    std::ifstream comm(dir + "comm");
    std::getline(comm, t.name);
    std::ifstream status(dir + "status");
    bool found = false;
    for (std::string line; std::getline(status, line);) {
      constexpr std::string_view key = "Cpus_allowed_list:";
      if (!line.starts_with(key)) continue;
      const auto at = line.find_first_not_of(" \t", key.size());
      auto cpus = parse_cpu_list(at == std::string::npos ? "" : line.substr(at));
      if (cpus) t.allowed = *cpus, found = true;
      break;
    }
    if (found) threads.push_back(std::move(t));  // else it ended while we read
  }
  return threads;
}

}  // namespace bmcquiet
