#include "collectors/registry.hpp"

#include "collectors/interrupts.hpp"
#include "collectors/redfish.hpp"
#include "policy/policy_collector.hpp"

namespace bmcquiet {

using namespace std::chrono_literals;

const std::vector<CollectorFactory>& collector_factories() {
  static const std::vector<CollectorFactory> factories = {
      {"interrupts", true, 5s, &make_interrupts_collector},
      {"redfish", true, 30s, &make_redfish_collector},
      {"policy", true, 60s, &make_policy_collector},
  };
  return factories;
}

}  // namespace bmcquiet
