#include "ctl/command.hpp"

namespace bmcquiet::ctl {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {};
  return table;
}

}  // namespace bmcquiet::ctl
