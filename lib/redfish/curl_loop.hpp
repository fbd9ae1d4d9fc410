// libcurl's multi-socket API driven by an Asio io_context (internal to
// lib/redfish). curl tells us which sockets to watch and when its timer is
// due; Asio waits for readiness and hands control back to curl. No threads.
#pragma once

#include <curl/curl.h>

#include <functional>
#include <map>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace bmcquiet::redfish {

class CurlLoop : public std::enable_shared_from_this<CurlLoop> {
 public:
  using Done = std::function<void(CURLcode)>;

  // max_connections caps the connections kept to the (single) BMC host.
  static std::shared_ptr<CurlLoop> create(boost::asio::io_context& io, long max_connections);
  ~CurlLoop();
  CurlLoop(const CurlLoop&) = delete;
  CurlLoop& operator=(const CurlLoop&) = delete;

  // Starts a transfer; done runs from the loop once it ends. The caller keeps
  // ownership of `easy` and must not free it before done ran or cancel().
  void add(CURL* easy, Done done);
  // Stops a transfer without calling its done.
  void cancel(CURL* easy);
  // Cancels everything and closes all connections.
  void close();

 private:
  struct Socket {
    explicit Socket(boost::asio::io_context& io, curl_socket_t s) : desc(io, s), fd(s) {}
    boost::asio::posix::stream_descriptor desc;
    curl_socket_t fd;
    int want = 0;
    bool reading = false, writing = false, closed = false;
  };

  CurlLoop(boost::asio::io_context& io, long max_connections);
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void watch(const std::shared_ptr<Socket>& socket);
  void forget(curl_socket_t fd);
  void action(curl_socket_t fd, int mask);
  void finish_done();

  boost::asio::io_context& io_;
  CURLM* multi_ = nullptr;
  boost::asio::steady_timer timer_;
  std::map<curl_socket_t, std::shared_ptr<Socket>> sockets_;
  std::map<CURL*, Done> transfers_;
};

}  // namespace bmcquiet::redfish
