// Runs a piece of a test in a forked child, e.g. to inject a crash (_exit)
// at a precise point and look at what survives it from the parent.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace bmcquiet::test {

// The child's exit status (1 when body returns), or -1 when it did not exit.
inline int run_in_child(const std::function<void()>& body) {
  pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) {
    body();
    ::_exit(1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace bmcquiet::test
