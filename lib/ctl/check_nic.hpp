// `bmcquietctl check`'s shared-BMC-NIC line: one look (collectors/bmc_nic)
// judged — a warning when the BMC shares a host NIC, a note otherwise.
#pragma once

#include <memory>
#include <string>

#include "ctl/check_findings.hpp"

namespace boost::asio {
class io_context;
}

namespace bmcquiet {
struct NicLook;
namespace bmc {
class Bmc;
}
}  // namespace bmcquiet

namespace bmcquiet::ctl {

// Findings "bmc_nic": WARNING when shared (which interface, how it was told,
// the fix), OK notes when dedicated or when it cannot tell (and why).
void judge_nic(const NicLook* look, bool bmc_configured, Findings& findings);

// Looks once (at most `seconds`) through the plan's BMC and the host's sysfs.
void check_nic(boost::asio::io_context& io, const std::shared_ptr<bmc::Bmc>& bmc,
               const std::string& sysfs, Findings& findings, int seconds = 20);

}  // namespace bmcquiet::ctl
