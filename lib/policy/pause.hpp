// The maintenance pause, kept under the state directory so that it survives
// reload and restart: a paused daemon keeps observing and reporting but
// writes nothing to the BMC until the pause ends or is lifted.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace bmcquiet::policy {

struct PauseRecord {
  double since_unix = 0;
  double until_unix = 0;  // 0: until Resume
  std::string reason;

  bool active(double now_unix) const { return until_unix == 0 || now_unix < until_unix; }
};

std::string pause_file(const std::string& state_dir);

struct PauseLoad {
  std::optional<PauseRecord> record;  // nullopt: not paused (or file absent)
  std::string error;                  // unreadable/corrupt file: what and where
};
PauseLoad load_pause(const std::string& state_dir);
// Durable (fsync'd file and directory). Returns an error message or "".
std::string save_pause(const std::string& state_dir, const PauseRecord& record);
std::string clear_pause(const std::string& state_dir);

double unix_now();

}  // namespace bmcquiet::policy
