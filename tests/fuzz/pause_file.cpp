// The maintenance pause record (<state>/policy-pause.json), which bmcquietctl
// may write without the daemon and an operator may edit or a crash may tear:
// any content is either a record or an error, never an exception.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fuzz_common.hpp"
#include "policy/pause.hpp"

namespace fs = std::filesystem;

namespace {

struct StateDir {
  fs::path dir = fs::temp_directory_path() / ("bmcquiet-fuzz-pause-" + std::to_string(getpid()));
  StateDir() { fs::create_directories(dir); }
  ~StateDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  static StateDir state;
  std::ofstream(state.dir / "policy-pause.json", std::ios::binary | std::ios::trunc)
      << bmcquiet::fuzz::text(data, size);
  auto loaded = bmcquiet::policy::load_pause(state.dir.string());
  // The file exists: a record or an error, exactly one of them.
  if (loaded.record.has_value() == !loaded.error.empty()) __builtin_trap();
  return 0;
}
