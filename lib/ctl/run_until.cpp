#include "ctl/run_until.hpp"

#include <boost/asio/io_context.hpp>

namespace bmcquiet::ctl {

void run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::steady_clock::time_point deadline) {
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(100));
  }
}

}  // namespace bmcquiet::ctl
