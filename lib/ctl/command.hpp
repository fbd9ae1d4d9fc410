// bmcquietctl subcommands. The command line is parsed in daemon/bmcquietctl.cpp
// (CLI11, kept out of the library); each command receives its options as a
// plain struct and returns the process exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bmcquiet::ctl {

struct CheckOptions {
  std::string config;         // "" = the default path, which may be absent
  double sample_seconds = 2;  // 0.1 to 60
  int cpu = -1;               // -1 = the first housekeeping CPU
  bool json = false;
};

struct DetectOptions {
  int cpu = 0;
  double duration_seconds = 0;
  double threshold_us = 10, width_ms = 500, period_ms = 1000;
  std::optional<int> fifo_priority;
  std::string procfs = "/proc";
  bool json = false;
};

struct PauseOptions {
  std::string config;  // "" = the default path
  std::string duration;
  std::vector<std::string> reason;
};

int run_check(const CheckOptions& options);
int run_detect(const DetectOptions& options);
int run_status(bool json);
int run_plan(bool json);
int run_apply(bool json);
int run_pause(const PauseOptions& options);
int run_resume(const std::string& config);
int run_reload();

// Prints one line on stderr, replaced by the next, while stderr is a
// terminal; nothing otherwise (pipes and logs get only the result).
class Progress {
 public:
  explicit Progress(std::string command);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void show(const std::string& line);

 private:
  std::string command_;
  bool tty_;
  bool shown_ = false;
};

}  // namespace bmcquiet::ctl
