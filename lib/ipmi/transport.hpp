// The seam between the Client (queue, metrics, self-cost) and the wire.
// Internal to lib/ipmi: callers use client.hpp.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ipmi/client.hpp"

namespace bmcquiet::ipmi {

using ResponseDone = std::function<void(Result<Response>)>;

class Transport {
 public:
  virtual ~Transport() = default;
  // One request at a time (the Client serialises). done runs on the loop
  // exactly once, after the transport's own timeout and retries; a non-zero
  // completion code is a successful Result here.
  virtual void send(const Request& request, ResponseDone done) = 0;
  // Drops the session or device; a pending send completes with Status::closed.
  virtual void close() = 0;
  virtual std::uint64_t sessions_opened() const { return 0; }
  virtual std::uint64_t timeouts() const = 0;
};

std::shared_ptr<Transport> make_lan_transport(boost::asio::io_context& io,
                                              const ClientConfig& config);
// A Client over any transport (tests use it with a fake in-band device).
std::shared_ptr<Client> make_client(boost::asio::io_context& io, const ClientConfig& config,
                                    Metrics* metrics, std::shared_ptr<Transport> transport);

}  // namespace bmcquiet::ipmi
