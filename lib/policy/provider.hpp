// Builds the policy's item backends from the daemon's BMC owner: identifies
// the BMC over whichever transports are configured, picks the vendor profile,
// and maps each item to the transport that can serve it (Redfish first, IPMI
// where Redfish cannot, OEM settings only through the matching profile).
#pragma once

#include <memory>

#include "policy/item.hpp"

namespace bmcquiet::bmc {
class Bmc;
}

namespace bmcquiet::policy {

struct ProviderOptions {
  std::string state_dir;  // for the SEL archive
};

// The BMC is borrowed (bmc::Bmc::borrow) by whoever builds the provider.
std::shared_ptr<Provider> make_bmc_provider(std::shared_ptr<bmc::Bmc> bmc, ProviderOptions options);

// Fills `unsupported` for every item without a backend, saying why.
void explain_unsupported(BmcSupport& discovery, bool any_transport);

}  // namespace bmcquiet::policy
