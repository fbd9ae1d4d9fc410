#include "ctl/check_nic.hpp"

#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bmc/bmc.hpp"
#include "collectors/bmc_nic.hpp"
#include "ctl/check_thresholds.hpp"
#include "ctl/run_until.hpp"

namespace bmcquiet::ctl {

void judge_nic(const NicLook* look, bool bmc_configured, Findings& findings) {
  if (!bmc_configured)
    return findings.add("bmc_nic", Severity::ok,
                        "BMC NIC: not checked (no bmc.redfish or bmc.ipmi to read its MACs from)");
  if (!look)
    return findings.add("bmc_nic", Severity::ok,
                        "BMC NIC: cannot tell whether it shares a host NIC (the BMC did not answer "
                        "in time)");
  const auto& v = look->verdict;
  if (!v.shared) {
    const auto why = look->bmc_answered || look->errors.empty()
                         ? v.why
                         : fmt::format("{}", fmt::join(look->errors, "; "));
    return findings.add("bmc_nic", Severity::ok,
                        "BMC NIC: cannot tell whether it shares a host NIC: " + why);
  }
  if (!*v.shared)
    return findings.add("bmc_nic", Severity::ok, "BMC NIC: a port of its own (" + v.evidence + ")");
  // The alert's severity (BmcQuietBmcNicShared), so check and alert agree.
  findings.add(
      "bmc_nic", severity_named(thresholds::kBmcNicSharedSeverity).value_or(Severity::warning),
      fmt::format("the BMC shares host NIC {}{} ({}): its traffic crosses the host's PCIe bus. "
                  "Fix: cable the BMC's dedicated management port and set the BMC's NIC "
                  "selection to Dedicated (iDRAC NIC.1.Selection, iLO dedicated network port, "
                  "Supermicro LAN interface; not Failover); runbook BmcQuietBmcNicShared",
                  v.interface.empty() ? "(interface not identified)" : v.interface,
                  v.pci.empty() ? "" : " at " + v.pci, v.evidence));
}

void check_nic(boost::asio::io_context& io, const std::shared_ptr<bmc::Bmc>& bmc,
               const std::string& sysfs, Findings& findings, int seconds) {
  if (!bmc || !bmc->configured()) return judge_nic(nullptr, false, findings);
  bmc->borrow();
  // Shared: an answer after the deadline lands while the policy pass runs.
  auto look = std::make_shared<std::optional<NicLook>>();
  look_at_bmc_nic(bmc, sysfs, ethtool_perm_address, [look](NicLook l) { *look = std::move(l); });
  run_until(
      io, [&look] { return look->has_value(); },
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds));
  judge_nic(*look ? &**look : nullptr, true, findings);
}

}  // namespace bmcquiet::ctl
