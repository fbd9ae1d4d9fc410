#include "support/redfish_rig.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

namespace bmcquiet::test {

using namespace std::chrono_literals;

ConnectionCounter::ConnectionCounter() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("ConnectionCounter: cannot listen on 127.0.0.1");
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

ConnectionCounter::~ConnectionCounter() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

std::string ConnectionCounter::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void ConnectionCounter::run() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    ++connections_;
    ::close(client);
  }
}

void ConnectionCounter::poke() const {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(s);
  if (!ok) throw std::runtime_error("ConnectionCounter: cannot connect to itself");
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (connections_ == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(5ms);
}

}  // namespace bmcquiet::test
