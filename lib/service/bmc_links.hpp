// The daemon's connections to its BMC, shared by every collector and the
// policy engine so one session per BMC serves them all. Built from the
// top-level `bmc:` config section with each plan; a member is null when that
// transport is not configured.
#pragma once

#include <memory>

namespace bmcquiet {

namespace redfish {
class Client;
}
namespace ipmi {
class Client;
}

struct BmcLinks {
  std::shared_ptr<redfish::Client> redfish;
  std::shared_ptr<ipmi::Client> ipmi;
};

}  // namespace bmcquiet
