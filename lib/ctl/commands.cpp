#include "ctl/command.hpp"
#include "ctl/detect.hpp"

namespace bmcquiet::ctl {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"detect", "measure TSC gaps (stolen time) on one CPU, like oslat", &run_detect},
  };
  return table;
}

}  // namespace bmcquiet::ctl
