#include "support/qemu_guest.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace bmcquiet::test {
namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* env = std::getenv(name);
  return env && *env ? env : fallback;
}

std::string make_initramfs() {
  return std::string(BMCQUIET_SOURCE_DIR) + "/tests/tools/qemu_guest/make-initramfs";
}

std::string kernel_dir() {
  return env_or("BMCQUIET_GUEST_KERNEL", "/var/cache/bmcquiet/guest-kernel");
}

// Waits for QEMU to exit, meanwhile answering "@@host REQUEST" console lines.
// Reads only what the console gained since the last look.
std::optional<int> wait_serving(Process& qemu, const std::string& console,
                                std::chrono::seconds timeout,
                                const std::function<void(const std::string&)>& on_request) {
  if (!on_request) return qemu.wait(timeout);
  const std::string marker = "@@host ";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::ifstream in;
  std::string partial;  // a line the guest has not finished yet
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto status = qemu.wait(std::chrono::milliseconds(50))) return status;
    if (!in.is_open()) in.open(console);
    in.clear();  // past EOF last time; the file has grown since
    for (std::string line; std::getline(in, line);) {
      if (in.eof()) {  // no newline yet: keep it for the next look
        partial += line;
        break;
      }
      line = std::exchange(partial, {}) + line;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (auto at = line.find(marker); at != std::string::npos)
        on_request(line.substr(at + marker.size()));
    }
  }
  return std::nullopt;
}

}  // namespace

bool guest_required() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::string GuestRun::section(const std::string& name) const {
  const auto begin_marker = "@@begin " + name + "\n";
  const auto begin = console.find(begin_marker);
  if (begin == std::string::npos) return {};
  const auto from = begin + begin_marker.size();
  const auto end = console.find("@@end " + name, from);
  return console.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

std::string QemuGuest::unavailable() {
  for (const char* tool : {"qemu-system-x86_64", "cpio", "gzip"})
    if (!have_command(tool))
      return fmt::format("{} not installed (scripts/setup-test installs it)", tool);
  if (!std::filesystem::exists("/bin/busybox"))
    return "busybox-static not installed (scripts/setup-test installs it)";
  if (!std::filesystem::exists(kernel_dir() + "/vmlinuz"))
    return fmt::format("no guest kernel in {}: run scripts/fetch-guest-kernel", kernel_dir());
  return {};
}

std::string QemuGuest::rootfs_dir() {
  return env_or("BMCQUIET_GUEST_ROOTFS", "/var/cache/bmcquiet/guest-rootfs-v2");
}

std::string QemuGuest::rootfs_unavailable() {
  if (!std::filesystem::exists(rootfs_dir() + "/lib/systemd/systemd"))
    return fmt::format("no guest root with systemd in {}: run scripts/fetch-guest-rootfs",
                       rootfs_dir());
  return {};
}

QemuGuest::QemuGuest(std::string base_rootfs)
    : kernel_dir_(kernel_dir()), base_rootfs_(std::move(base_rootfs)) {
  std::filesystem::create_directories(dir_.path() + "/test");
}

void QemuGuest::add_file(const std::string& rel, const std::string& content) const {
  dir_.write("test/" + rel, content);
}

void QemuGuest::add_tree(const std::string& source_dir, const std::string& rel) const {
  std::filesystem::copy(source_dir, dir_.path() + "/test/" + rel,
                        std::filesystem::copy_options::recursive);
}

GuestRun QemuGuest::boot(int bmc_vm_port, const std::vector<std::string>& binaries,
                         std::chrono::seconds timeout,
                         const std::function<void(const std::string&)>& on_request) const {
  GuestRun run;
  const auto& d = dir_.path();
  auto base = base_rootfs_.empty() ? std::string() : " --base " + base_rootfs_;
  if (!overlay_.empty()) base += " --overlay " + overlay_;
  std::string build =
      fmt::format("{}{} {}/initrd.gz {} {}/test", make_initramfs(), base, d, kernel_dir_, d);
  for (const auto& b : binaries) build += " " + b;
  if (auto made = run_command(build + " 2>&1"); made.exit_code != 0) {
    run.log = "make-initramfs failed: " + made.output;
    return run;
  }
  // The initramfs is unpacked into guest RAM: the sanitizer builds' binaries
  // (~90 MB each with symbols) did not fit in 512 MiB any more.
  // -cpu max with Intel's vendor string: the guest kernel's msr driver then
  // serves MSR 0x34 (SMI count), which QEMU keeps for its emulated SMM.
  Process qemu(
      {"sh", "-c",
       fmt::format("exec qemu-system-x86_64 -M q35 -accel tcg -cpu max,vendor=GenuineIntel "
                   "-m {3} -smp 1 -nographic -no-reboot -nic none "
                   "-kernel {0}/vmlinuz -initrd {1}/initrd.gz "
                   "-append 'console=ttyS0 panic=-1 quiet' "
                   "-chardev socket,id=ipmi0,host=127.0.0.1,port={2},reconnect=1 "
                   "-device ipmi-bmc-extern,chardev=ipmi0,id=bmc0 "
                   "-device isa-ipmi-kcs,bmc=bmc0,irq=5 "
                   ">{1}/console.log 2>{1}/qemu.log </dev/null",
                   kernel_dir_, d, bmc_vm_port, base_rootfs_.empty() ? "1024M" : "1536M")});
  const auto status = wait_serving(qemu, d + "/console.log", timeout, on_request);
  run.powered_off = status && *status == 0;
  if (!status) qemu.signal(SIGKILL);
  qemu.wait(std::chrono::seconds(5));
  run.console = read_file(d + "/console.log");
  std::erase(run.console, '\r');  // the guest's tty writes CR LF
  run.log = read_file(d + "/qemu.log");
  if (!run.powered_off)
    run.log += fmt::format("\nQEMU did not power off within {} s", timeout.count());
  return run;
}

}  // namespace bmcquiet::test
