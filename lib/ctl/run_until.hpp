// Drives `bmcquietctl check`'s io_context until an answer arrives or a
// deadline passes: check reads the BMC through the daemon's asynchronous
// code, one step after another.
#pragma once

#include <chrono>
#include <functional>

namespace boost::asio {
class io_context;
}

namespace bmcquiet::ctl {

// Runs the loop until done() or the deadline; an io_context that ran out of
// work stops, so it is restarted while callbacks are still expected.
void run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::steady_clock::time_point deadline);

}  // namespace bmcquiet::ctl
