#include "collectors/registry.hpp"

#include "collectors/bmc_nic.hpp"
#include "collectors/dcmi.hpp"
#include "collectors/inband_ipmi.hpp"
#include "collectors/interrupts.hpp"
#include "collectors/ipmi_sel.hpp"
#include "collectors/ipmi_sensors.hpp"
#include "collectors/policy.hpp"
#include "collectors/redfish.hpp"
#include "collectors/smi.hpp"
#include "collectors/tsc_gap.hpp"
#include "collectors/watchdog.hpp"

namespace bmcquiet {

using namespace std::chrono_literals;

const std::vector<CollectorFactory>& collector_factories() {
  static const std::vector<CollectorFactory> factories = {
      {"interrupts", true, 5s, &make_interrupts_collector},
      {"redfish", true, 30s, &make_redfish_collector},
      {"smi", true, 1s, &make_smi_collector},
      {"tsc_gap", true, 10s, &make_tsc_gap_collector},
      {"policy", true, 60s, &make_policy_collector},
      {"dcmi", true, 60s, &make_dcmi_collector},
      {"inband_ipmi", true, 30s, &make_inband_ipmi_collector},
      {"bmc_nic", true, 10min, &make_bmc_nic_collector},
      {"ipmi_sel", true, 60s, &make_ipmi_sel_collector},
      {"ipmi_sensors", true, 60s, &make_ipmi_sensors_collector},
      {"watchdog", true, 60s, &make_watchdog_collector},
  };
  return factories;
}

}  // namespace bmcquiet
