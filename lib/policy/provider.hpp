// Builds the policy's item backends from the daemon's BMC links: identifies
// the BMC over whichever transports are configured, picks the vendor profile,
// and maps each item to the transport that can serve it (Redfish first, IPMI
// where Redfish cannot, OEM settings only through the matching profile).
#pragma once

#include <memory>

#include "policy/item.hpp"
#include "service/bmc_links.hpp"

namespace bmcquiet::policy {

struct ProviderOptions {
  std::string state_dir;  // for the SEL archive
};

std::shared_ptr<Provider> make_bmc_provider(std::shared_ptr<BmcLinks> links,
                                            ProviderOptions options);

// Fills `unsupported` for every item without a backend, saying why.
void explain_unsupported(Discovery& discovery, bool any_transport);

}  // namespace bmcquiet::policy
