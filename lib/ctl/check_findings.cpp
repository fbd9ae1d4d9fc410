#include "ctl/check_findings.hpp"

#include <fmt/format.h>

#include <cstring>

#include "ctl/check_thresholds.hpp"

namespace bmcquiet::ctl {
namespace {

int rank(Severity s) {
  switch (s) {
    case Severity::ok:
      return 0;
    case Severity::warning:
      return 1;
    case Severity::unknown:
      return 2;
    default:
      return 3;
  }
}

// The rules' severity names; an unknown name in the generated header would
// be a generator bug, and UNKNOWN says so rather than hiding a finding.
Severity of(const char* rule_severity) {
  return severity_named(rule_severity).value_or(Severity::unknown);
}

bool powered_down(const policy::ItemStatus& i) { return i.id == policy::ItemId::power_cap; }

void judge_item(const policy::ItemStatus& i, Findings& findings) {
  const auto what = fmt::format("policy:{}", policy::to_string(i.id));
  const auto detail = i.detail.empty() ? "" : fmt::format(" ({})", i.detail);
  switch (i.state) {
    case policy::ItemState::drifted:
      findings.add(what,
                   of(powered_down(i) ? thresholds::kPowerCapSeverity : thresholds::kDriftSeverity),
                   fmt::format("drifted: {} on the BMC, the policy wants {}{}", i.current,
                               i.desired, detail));
      break;
    case policy::ItemState::error:
      findings.add(what, Severity::unknown, fmt::format("cannot be read{}", detail));
      break;
    case policy::ItemState::compliant:
      findings.add(what, Severity::ok, fmt::format("compliant: {}", i.current));
      break;
    default:
      findings.add(what, Severity::ok, fmt::format("{}{}", policy::to_string(i.state), detail));
  }
}

void judge_pause(const policy::PauseRecord& pause, Findings& findings, double now) {
  const double age = now - pause.since_unix;
  const auto& max = thresholds::kPauseMaxSeconds;
  const auto reason =
      fmt::format("policy writes paused for {:.0f} s ({}; {})", age,
                  pause.until_unix ? "ends on its own" : "until resumed", pause.reason);
  if (age > max.value)
    findings.add("pause", of(max.severity),
                 fmt::format("{}: longer than {:.0f} s ({}); `bmcquietctl resume` ends it", reason,
                             max.value, max.alert));
  else
    findings.add("pause", Severity::ok, reason);
}

}  // namespace

const char* name(Severity s) {
  switch (s) {
    case Severity::ok:
      return "OK";
    case Severity::warning:
      return "WARNING";
    case Severity::critical:
      return "CRITICAL";
    default:
      return "UNKNOWN";
  }
}

std::optional<Severity> severity_named(const char* text) {
  for (auto s : {Severity::ok, Severity::warning, Severity::critical, Severity::unknown})
    if (strcasecmp(text, name(s)) == 0) return s;
  return std::nullopt;
}

void Findings::add(std::string check, Severity severity, std::string reason) {
  all_.push_back({std::move(check), severity, std::move(reason)});
}

Severity Findings::worst() const {
  Severity worst = Severity::ok;
  for (const auto& f : all_)
    if (rank(f.severity) > rank(worst)) worst = f.severity;
  return worst;
}

std::string Findings::text() const {
  std::string out;
  for (const auto& f : all_)
    if (f.severity != Severity::ok)
      out += fmt::format("{:<9}{}: {}\n", name(f.severity), f.check, f.reason);
  return out;
}

void judge_platform(const Platform& p, Findings& findings) {
  if (!p.error.empty()) {
    findings.add("tsc_sample", Severity::unknown, fmt::format("sample failed: {}", p.error));
    return;
  }
  const auto& stolen = thresholds::kStolenRatio;
  const double ratio = p.sampled > 0 ? p.stolen / p.sampled : 0;
  findings.add("stolen_time", ratio > stolen.value ? of(stolen.severity) : Severity::ok,
               fmt::format("{:.4f} % of CPU {}'s sampled time lost to {} TSC gap(s); {} above "
                           "{:.4f} % ({}){}",
                           100 * ratio, p.cpu, p.gaps, stolen.severity, 100 * stolen.value,
                           stolen.alert, p.hypervisor ? "; under a hypervisor" : ""));
  // No SMI counter (a VM, an AMD CPU without it, no msr module) is what the
  // platform is, not a failed check: said, but not UNKNOWN on every such node.
  if (!p.smi_error.empty()) {
    findings.add("smi_rate", Severity::ok, fmt::format("not measured: {}", p.smi_error));
    return;
  }
  const auto& smi = thresholds::kSmiRate;
  const double rate = p.sampled > 0 ? double(p.smis) / p.sampled : 0;
  findings.add("smi_rate", rate > smi.value ? of(smi.severity) : Severity::ok,
               fmt::format("{:.2f} SMIs/s ({} in {:.2f} s); {} above {:g}/s ({})", rate, p.smis,
                           p.sampled, smi.severity, smi.value, smi.alert));
}

// Judged as BmcQuietSelNearlyFull judges instance:bmcquiet_sel_fill:ratio; an
// overflow (events already dropped) is at least as bad as nearly full.
void judge_sel(const SelFill& sel, Findings& findings) {
  if (!sel.error.empty())
    return findings.add("sel", Severity::unknown, fmt::format("SEL unreadable: {}", sel.error));
  const auto& fill = thresholds::kSelFill;
  const double ratio = sel.capacity > 0 ? sel.entries / sel.capacity : 0;
  const bool bad = ratio > fill.value || sel.overflow;
  findings.add("sel", bad ? of(fill.severity) : Severity::ok,
               fmt::format("SEL {:.0f} of {:.0f} entries ({:.1f} %){}; {} above {:.0f} % ({}); "
                           "the sel policy item archives then clears it",
                           sel.entries, sel.capacity, 100 * ratio,
                           sel.overflow ? ", overflowed: events were dropped" : "", fill.severity,
                           100 * fill.value, fill.alert));
}

void judge_policy(bool bmc_configured, const std::optional<policy::EngineStatus>& status,
                  Findings& findings, double now_unix) {
  if (!bmc_configured) {
    findings.add("bmc", of(thresholds::kBmcNotConfiguredSeverity),
                 "no BMC transport is configured (bmc.redfish or bmc.ipmi): the BMC's "
                 "settings, power cap and SEL are not checked");
  } else if (!status) {
    findings.add("bmc", Severity::unknown, "the BMC did not answer within 60 s");
    return;
  } else if (!status->discovered) {
    findings.add("bmc", Severity::unknown,
                 fmt::format("BMC unreachable: {}", status->identification));
    return;
  } else {
    findings.add("bmc", Severity::ok, status->identity);
  }
  if (!status) return;
  if (status->pause) judge_pause(*status->pause, findings, now_unix);
  if (!status->pause_error.empty()) findings.add("pause", Severity::unknown, status->pause_error);
  for (const auto& i : status->items) judge_item(i, findings);
}

}  // namespace bmcquiet::ctl
