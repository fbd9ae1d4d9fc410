// Clients that hold a server's connections without finishing a request: idle
// ones that connect and say nothing, and slowloris ones that send a request
// header one byte every few seconds. Loopback only; bounded by the caller's
// counts, and everything closes when the object goes.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace bmcquiet::test {

class HostileClients {
 public:
  HostileClients(int port, int idle, int slowloris,
                 std::chrono::milliseconds drip = std::chrono::seconds(2));
  ~HostileClients();
  HostileClients(const HostileClients&) = delete;
  HostileClients& operator=(const HostileClients&) = delete;
  int connected() const { return connected_; }  // connections the kernel accepted

 private:
  void drip_loop(std::chrono::milliseconds drip);
  std::vector<int> idle_, slow_;
  int connected_ = 0;
  std::atomic<bool> stop_{false};
  std::thread dripper_;
};

// Milliseconds each of `count` sequential GET url took (-1: failed or over timeout).
std::vector<double> timed_scrapes(const std::string& url, int count,
                                  std::chrono::milliseconds timeout);

}  // namespace bmcquiet::test
