#include "support/hostile_clients.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/helpers.hpp"

namespace bmcquiet::test {
namespace {

// Non-blocking: a server whose accept queue is full (civetweb with busy
// workers) leaves connect() in SYN retries for minutes.
int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// How many of fds finished connecting within timeout.
int count_connected(const std::vector<int>& fds, std::chrono::milliseconds timeout) {
  std::vector<pollfd> pending;
  for (int fd : fds) pending.push_back({fd, POLLOUT, 0});
  int connected = 0;
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!pending.empty() && std::chrono::steady_clock::now() < end) {
    ::poll(pending.data(), pending.size(), 50);
    std::erase_if(pending, [&](const pollfd& p) {
      if (!p.revents) return false;
      int error = 0;
      socklen_t len = sizeof error;
      ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &error, &len);
      if (error == 0) ++connected;
      return true;
    });
    for (auto& p : pending) p.revents = 0;
  }
  return connected;
}

constexpr std::string_view kSlowHeader = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";

}  // namespace

HostileClients::HostileClients(int port, int idle, int slowloris, std::chrono::milliseconds drip) {
  for (int i = 0; i < idle; ++i)
    if (int fd = connect_loopback(port); fd >= 0) idle_.push_back(fd);
  for (int i = 0; i < slowloris; ++i)
    if (int fd = connect_loopback(port); fd >= 0) slow_.push_back(fd);
  std::vector<int> all = idle_;
  all.insert(all.end(), slow_.begin(), slow_.end());
  connected_ = count_connected(all, std::chrono::seconds(2));
  // The start of a request, so a server sees a header under way.
  for (int fd : slow_) (void)!::send(fd, kSlowHeader.data(), kSlowHeader.size(), MSG_NOSIGNAL);
  dripper_ = std::thread([this, drip] { drip_loop(drip); });
}

HostileClients::~HostileClients() {
  stop_ = true;
  dripper_.join();
  for (int fd : idle_) ::close(fd);
  for (int fd : slow_) ::close(fd);
}

void HostileClients::drip_loop(std::chrono::milliseconds drip) {
  auto next = std::chrono::steady_clock::now() + drip;
  while (!stop_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (std::chrono::steady_clock::now() < next) continue;
    next += drip;
    for (int fd : slow_) (void)!::send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
}

std::vector<double> timed_scrapes(const std::string& url, int count,
                                  std::chrono::milliseconds timeout) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto r = http_get(url, timeout);
    std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    out.push_back(r.status == 200 ? took.count() : -1.0);
  }
  return out;
}

}  // namespace bmcquiet::test
