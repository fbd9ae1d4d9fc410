// bmcquietd's life cycle: load → serve → (reload)* → stop, on one event loop.
#pragma once

#include <string>

#include "service/setup.hpp"

namespace bmcquiet {

struct DaemonOptions {
  std::string config_path = kDefaultConfigPath;
  CliOverrides cli;
  bool check_only = false;
};

// Returns the process exit code: 0 clean stop, 2 bad config, 1 other failure.
int run_daemon(const DaemonOptions& options);

}  // namespace bmcquiet
