// The metrics endpoint's limits, with short deadlines so they show in a unit
// test: a header that does not arrive in time closes its connection, and a
// full server closes its oldest idle connection for a new one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "metrics/metrics.hpp"
#include "service/web_config.hpp"
#include "service/web_server.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace std::chrono_literals;

namespace {

int connect_to(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// True when the server closed fd within timeout (read gives EOF or an error).
bool closed_within(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char buf[4096];
  return ::recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0;
}

struct Server {
  explicit Server(WebServerLimits limits) {
    std::string error;
    server = WebServer::open("127.0.0.1:0", metrics, error, limits);
    REQUIRE(server);
    server->configure(WebConfig{});
    server->serve(metrics.registry());
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server->port()) + "/metrics";
  }
  Metrics metrics;
  std::unique_ptr<WebServer> server;
};

}  // namespace

TEST_CASE("web server: a request header that does not arrive in time closes the connection") {
  WebServerLimits limits;
  limits.header_timeout = 300ms;
  Server s(limits);
  int slow = connect_to(s.server->port());
  REQUIRE(::send(slow, "GET /metrics HTTP/1.1\r\n", 23, MSG_NOSIGNAL) == 23);
  CHECK_FALSE(closed_within(slow, 100ms));
  CHECK(closed_within(slow, 1000ms));
  ::close(slow);
  auto scrape = test::http_get(s.url());
  REQUIRE(scrape.status == 200);
  CHECK(test::sample_value(scrape.body, "bmcquiet_exporter_header_timeouts_total") == 1.0);
}

TEST_CASE("web server: when full, a new connection closes the oldest idle one and is served") {
  WebServerLimits limits;
  limits.max_connections = 4;
  Server s(limits);
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(connect_to(s.server->port()));
    std::this_thread::sleep_for(20ms);  // accepted in this order
  }
  auto scrape = test::http_get(s.url(), 1s);
  REQUIRE(scrape.status == 200);
  CHECK(closed_within(idle[0], 500ms));
  CHECK_FALSE(closed_within(idle[3], 100ms));
  CHECK(test::sample_value(scrape.body, "bmcquiet_exporter_connections_evicted_total") == 1.0);
  for (int fd : idle) ::close(fd);
}

TEST_CASE("web server: a kept-alive connection serves a second request, then closes when idle") {
  WebServerLimits limits;
  limits.idle_timeout = 300ms;
  Server s(limits);
  int fd = connect_to(s.server->port());
  const std::string head = "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int i = 0; i < 2; ++i) {
    REQUIRE(::send(fd, head.data(), head.size(), MSG_NOSIGNAL) == ssize_t(head.size()));
    pollfd p{fd, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 1000) == 1);
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    REQUIRE(n > 0);
    std::string response(buf, std::size_t(n));
    CHECK(response.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(response.find("Content-Length: 0\r\n") == std::string::npos);  // HEAD: the GET's length
    CHECK(response.substr(response.find("\r\n\r\n") + 4).empty());       // and no body
  }
  CHECK_FALSE(closed_within(fd, 100ms));
  CHECK(closed_within(fd, 1000ms));
  ::close(fd);
}
