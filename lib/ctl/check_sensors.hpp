// `bmcquietctl check`'s IPMI sensor line: the configuration's ipmi_sensors
// collector run once, the daemon's own code path, and what it found judged.
#pragma once

#include "ctl/check_findings.hpp"
#include "service/setup.hpp"

namespace boost::asio {
class io_context;
}

namespace bmcquiet::ctl {

// Nothing when the configuration has no ipmi_sensors collector (no bmc.ipmi, disabled,
// or in-band without collectors.ipmi_sensors.inband). Must run while the
// BMC's clients are up (before the policy pass shuts them down).
void check_ipmi_sensors(boost::asio::io_context& io, Metrics& metrics, HostConfig& host,
                        Findings& findings);

}  // namespace bmcquiet::ctl
