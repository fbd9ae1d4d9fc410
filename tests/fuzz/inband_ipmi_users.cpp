// What the in-band IPMI scan reads from procfs and sysfs, written into a
// private tree each input: a process's directory name, comm and status
// (Cpus_allowed_list), and ipmi_si's counter and type files.
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/paths.hpp"
#include "fuzz_common.hpp"
#include "platform/inband_ipmi_users.hpp"

namespace fs = std::filesystem;

namespace {

struct Tree {
  bmcquiet::Paths paths;
  fs::path si;
  Tree() {
    const fs::path root = fs::temp_directory_path() / ("bmcquiet-fuzz-" + std::to_string(getpid()));
    paths.procfs = (root / "proc").string();
    paths.sysfs = (root / "sys").string();
    paths.devfs = (root / "dev").string();
    si = root / "sys/devices/platform/ipmi_si.0";
    fs::create_directories(si);
    fs::create_directories(paths.devfs);
    std::ofstream(paths.devfs + "/ipmi0").put('\n');
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(fs::path(paths.procfs).parent_path(), ec);
  }
};

void write(const fs::path& file, const std::string& content) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  static Tree tree;
  static fs::path proc;  // the one process directory, renamed to each input's pid
  FuzzedDataProvider in(data, size);
  auto pid = in.ConsumeRandomLengthString(24);
  if (pid.empty() || pid.find('/') != std::string::npos || pid.find('\0') != std::string::npos ||
      pid == "." || pid == "..")
    pid = "1";
  std::error_code ec;
  const fs::path next = fs::path(tree.paths.procfs) / pid;
  if (proc.empty()) {
    fs::create_directories(next / "fd");
    fs::create_symlink(tree.paths.devfs + "/ipmi0", next / "fd/3", ec);
    proc = next;
  } else if (next != proc) {
    fs::rename(proc, next, ec);
    if (!ec) proc = next;
  }
  write(proc / "comm", in.ConsumeRandomLengthString(64));
  write(proc / "status", in.ConsumeRandomLengthString(512));
  write(tree.si / "type", in.ConsumeRandomLengthString(16));
  for (const auto& name : bmcquiet::ipmi_si_counter_names())
    write(tree.si / name, in.ConsumeRandomLengthString(32));
  auto view = bmcquiet::scan_inband_ipmi(tree.paths, {1, 3, 8191});
  if (view.users.size() > 1) __builtin_trap();
  return 0;
}
