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

redfish::ClientOptions RedfishRig::options(const BmcSim& sim, const std::string& password) {
  redfish::ClientOptions o;
  o.url = sim.url();
  o.username = "admin";
  o.password_credential = "";
  o.password_file = dir.write("password", password);
  ::chmod(o.password_file.c_str(), 0600);
  o.insecure = true;
  o.request_timeout = 1500ms;
  o.poll_deadline = 4s;
  o.backoff_initial = 0ms;
  o.backoff_max = 0ms;
  return o;
}

bool RedfishRig::run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done() && std::chrono::steady_clock::now() < until) io.run_one_for(20ms);
  return done();
}

void RedfishRig::run_for(std::chrono::milliseconds how_long) {
  run_until([] { return false; }, how_long);
}

redfish::Response RedfishRig::call(const std::function<void(redfish::ResponseHandler)>& start) {
  std::optional<redfish::Response> out;
  start([&](redfish::Response r) { out = std::move(r); });
  if (!run_until([&] { return out.has_value(); })) throw std::runtime_error("no answer in 30 s");
  return *out;
}

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
