// The /metrics endpoint: an HTTP/1.1 (and, with a web config, HTTPS and basic
// auth) listener on its own thread that serializes prometheus-cpp collectables
// on each scrape. It replaces prometheus-cpp's civetweb Exposer, whose fixed
// worker threads each wait up to 30 s for a request: a handful of idle or
// slow clients could blind every scrape. Here one event loop serves every
// connection, each with a deadline for its request header, and when the
// connection cap is reached the oldest connection not being answered is
// closed to make room, so a new scraper always gets in.
// Beast and Asio stay in the .cpp: this header is included by the daemon.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace prometheus {
class Collectable;
}

namespace bmcquiet {

class Metrics;
struct WebConfig;

struct WebServerLimits {
  // From a connection's accept (TLS handshake included), or from the first byte
  // of a later request on a kept-alive connection, to its complete header.
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};   // between requests
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};  // one response
  std::size_t max_connections = 256;
  std::uint32_t max_header_bytes = 8192;
};

class WebServer {
 public:
  // Binds `listen` (HOST:PORT, [V6]:PORT; port 0 picks one) and starts
  // serving; null with `error` set when the address cannot be bound.
  static std::unique_ptr<WebServer> open(const std::string& listen, Metrics& self_metrics,
                                         std::string& error, WebServerLimits limits = {});
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // What /metrics serializes, in order. Thread-safe.
  void serve(std::shared_ptr<prometheus::Collectable> collectable);
  // TLS, users and headers for connections and requests from now on;
  // connections already open keep their TLS session. Thread-safe.
  void configure(const WebConfig& config);
  unsigned short port() const;
  // "http" or "https", as configured.
  std::string scheme() const;

  struct Impl;  // public only so the .cpp's connection classes can name it

 private:
  explicit WebServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bmcquiet
