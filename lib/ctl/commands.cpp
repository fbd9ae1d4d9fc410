#include "ctl/check.hpp"
#include "ctl/command.hpp"
#include "ctl/control.hpp"
#include "ctl/detect.hpp"

namespace bmcquiet::ctl {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"check", "one-shot read-only report: SMIs, TSC gaps, BMC policy drift", &run_check},
      {"status", "the running daemon's policy: BMC, profile, pause, every setting", &run_status},
      {"plan", "what the policy would change on the BMC now", &run_plan},
      {"apply", "reconcile the policy now (root)", &run_apply},
      {"pause", "pause policy writes for a maintenance window (root)", &run_pause},
      {"resume", "end a maintenance pause (root)", &run_resume},
      {"reload", "reload the daemon's configuration (root)", &run_reload},
      {"detect", "measure TSC gaps (stolen time) on one CPU, like oslat", &run_detect},
  };
  return table;
}

}  // namespace bmcquiet::ctl
