// In-band IPMI through the Linux driver (<devfs>/ipmi0). Internal to lib/ipmi
// and its tests: the device is a seam so the transport's queueing, matching,
// timeout and self-cost logic can be tested where no BMC exists.
#pragma once

#include <memory>
#include <string>

#include "ipmi/transport.hpp"

namespace bmcquiet {
class SmiSource;
}

namespace bmcquiet::ipmi {

class InbandDevice {
 public:
  virtual ~InbandDevice() = default;
  virtual int fd() const = 0;  // pollable: readable when an answer is queued
  // 0 or an errno.
  virtual int send(long msgid, const Request& request) = 0;
  // 0 with *msgid and *response set, EAGAIN when nothing is queued, or an errno.
  virtual int receive(long* msgid, Response* response) = 0;
};

// The real driver: open(O_RDWR|O_NONBLOCK), IPMICTL_SEND_COMMAND to the BMC's
// system interface, IPMICTL_RECEIVE_MSG_TRUNC. nullptr + *error on failure.
std::unique_ptr<InbandDevice> open_linux_ipmi_device(const std::string& path, std::string* error);

using DeviceOpener = std::function<std::unique_ptr<InbandDevice>(std::string* error)>;
// Source of the SMI count for self-cost accounting; null → not counted.
using SmiOpener = std::function<std::unique_ptr<SmiSource>()>;

struct InbandHooks {
  DeviceOpener open_device;  // null → open_linux_ipmi_device(config.device)
  SmiOpener open_smi;        // null → none
  // Called with the SMIs counted across each request on its calling CPU.
  std::function<void(std::uint64_t smis)> on_smis;
};

std::shared_ptr<Transport> make_inband_transport(boost::asio::io_context& io,
                                                 const ClientConfig& config, InbandHooks hooks);

}  // namespace bmcquiet::ipmi
