// bmc.ipmi: how the daemon reaches its BMC over IPMI (or not at all).
#pragma once

#include <memory>

#include "core/config_section.hpp"
#include "core/paths.hpp"
#include "ipmi/client.hpp"

namespace bmcquiet::ipmi {

// Reads and validates the section into a ClientConfig; nullopt when
// `transport: none` (the default) or when the section has errors (reported).
// Touches neither the network nor the device: bmc::Bmc builds the client.
std::optional<ClientConfig> read_client_config(ConfigSection& section, const Paths& paths);

}  // namespace bmcquiet::ipmi
