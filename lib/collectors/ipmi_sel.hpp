#pragma once

#include <memory>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"

namespace bmcquiet {

// SEL fill and BMC identity through the shared IPMI client (bmc.ipmi), for
// BMCs without Redfish: one Get SEL Info per interval into the same
// bmcquiet_sel_* series the Redfish collector exports ({log="ipmi_sel"}), so
// the SEL alerts work on either, and Get Device ID into
// bmcquiet_bmc_info{source="ipmi"} (read again only after a failed round: a
// firmware update resets the BMC). Over `inband` it runs only with
// `inband: true`, since each in-band request may raise SMIs.
std::unique_ptr<Collector> make_ipmi_sel_collector(const CollectorEnv& env, ConfigSection& section);

}  // namespace bmcquiet
