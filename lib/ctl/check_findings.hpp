// What `bmcquietctl check` found and how bad each finding is, judged with
// the alert rules' thresholds and severities (check_thresholds.hpp) so that
// the check and the alerts agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/engine.hpp"

namespace bmcquiet::ctl {

// Exit codes of the monitoring-plugin convention.
enum class Severity { ok = 0, warning = 1, critical = 2, unknown = 3 };
const char* name(Severity s);
std::optional<Severity> severity_named(const char* text);

struct Finding {
  std::string check;  // smi_rate, stolen_time, config, bmc, pause, policy:<setting>...
  Severity severity = Severity::ok;
  std::string reason;
};

class Findings {
 public:
  void add(std::string check, Severity severity, std::string reason);
  // The exit status: CRITICAL > UNKNOWN > WARNING > OK. What could not be
  // checked outranks a warning (a silent BMC must not read as "only SMIs"),
  // but a measured critical problem is never hidden behind it.
  Severity worst() const;
  // One line per finding that is not OK, for the text report.
  std::string text() const;
  const std::vector<Finding>& all() const { return all_; }

 private:
  std::vector<Finding> all_;
};

// One short sample on one CPU.
struct Platform {
  std::string error;      // the sample could not run
  std::string smi_error;  // SMI counts unreadable
  int cpu = 0;
  double sampled = 0, stolen = 0, max_gap = 0;
  std::uint64_t gaps = 0, smis = 0;
  bool hypervisor = false;
};

void judge_platform(const Platform& p, Findings& findings);

// The SEL over IPMI (Get SEL Info), where the ipmi_sel collector would read it.
struct SelFill {
  std::string error;  // no answer
  double entries = 0, capacity = 0;
  bool overflow = false;
};
void judge_sel(const SelFill& sel, Findings& findings);
// status is empty when the policy pass did not finish in time.
void judge_policy(bool bmc_configured, const std::optional<policy::EngineStatus>& status,
                  Findings& findings, double now_unix);

}  // namespace bmcquiet::ctl
