#include <unistd.h>

#include <cstdio>

#include "ctl/command.hpp"

namespace bmcquiet::ctl {

Progress::Progress(std::string command)
    : command_(std::move(command)), tty_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() { show(""); }

// "\r\033[K" returns to the line's start and clears it, so each line
// replaces the last and the final result starts on a clean line.
void Progress::show(const std::string& line) {
  if (!tty_ || (line.empty() && !shown_)) return;
  if (line.empty())
    std::fputs("\r\033[K", stderr);
  else
    std::fprintf(stderr, "\r\033[K%s: %s", command_.c_str(), line.c_str());
  std::fflush(stderr);
  shown_ = !line.empty();
}

}  // namespace bmcquiet::ctl
