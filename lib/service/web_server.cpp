#include "service/web_server.hpp"

#include <openssl/ssl.h>

#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "metrics/metrics.hpp"
#include "service/basic_auth.hpp"
#include "service/web_config.hpp"

namespace bmcquiet {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* kLanding =
    "<!DOCTYPE html>\n<html><head><title>bmcquiet</title></head><body>\n"
    "<h1>bmcquiet</h1>\n<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

// What one configuration gives new connections and requests.
struct Settings {
  std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP
  std::shared_ptr<BasicAuth> auth;          // null: no users
  std::vector<std::pair<std::string, std::string>> headers;
};

std::optional<tcp::endpoint> resolve_listen(const std::string& listen, std::string& error) {
  auto colon = listen.rfind(':');
  auto host = listen.substr(0, colon);
  const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (!ec) return tcp::endpoint(address, port);
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) {
    error = fmt::format("cannot resolve the listen host '{}': {}", host, ec.message());
    return std::nullopt;
  }
  return results.begin()->endpoint();
}

}  // namespace

struct Connection {
  virtual ~Connection() = default;
  virtual void close() = 0;
  bool answering = false;  // writing a response: not evicted
  // In the server's list until closed: a closed connection lingers until its
  // aborted operation completes and must not be chosen for eviction again.
  std::list<Connection*>::iterator position;
  bool listed = true;
};

struct WebServer::Impl {
  Impl(Metrics& metrics, WebServerLimits limits);
  ~Impl();

  void accept();
  void on_accept(tcp::socket socket);
  bool evict_oldest();
  std::shared_ptr<const Settings> settings() const {
    std::lock_guard lock(mutex);
    return current;
  }
  std::string collect() const;

  WebServerLimits limits;
  mutable std::mutex mutex;  // guards current and collectables
  std::shared_ptr<const Settings> current = std::make_shared<Settings>();
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables;
  std::list<Connection*> connections;  // oldest first; touched on the loop only
  prometheus::Family<prometheus::Counter>* requests = nullptr;
  prometheus::Counter* evicted = nullptr;
  prometheus::Counter* header_timeouts = nullptr;
  prometheus::Gauge* open_connections = nullptr;
  // Declared after what sessions touch as they are destroyed with the loop.
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  // bcrypt runs here, never on the loop: a stream of wrong passwords must not
  // stall the scrapes whose credentials are already verified.
  asio::thread_pool bcrypt{1};
  std::thread thread;
};

namespace {

template <class Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(WebServer::Impl& server, std::shared_ptr<const Settings> settings, Args&&... args)
      : server_(server), settings_(std::move(settings)), stream_(std::forward<Args>(args)...) {
    position = server_.connections.insert(server_.connections.end(), this);
    server_.open_connections->Increment();
  }
  ~Session() override {
    if (listed) server_.connections.erase(position);
    server_.open_connections->Decrement();
  }

  void start() {
    lowest().expires_after(server_.limits.header_timeout);  // handshake and first header
    if constexpr (kTls) {
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read_header();
                              });
    } else {
      read_header();
    }
  }

  void close() override {
    if (listed) server_.connections.erase(position);
    listed = false;
    lowest().close();
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // Between requests on a kept-alive connection: idle_timeout for the first
  // byte, then header_timeout for the rest of the header.
  void wait_next_request() {
    if (buffer_.size() > 0) {
      lowest().expires_after(server_.limits.header_timeout);
      return read_header();
    }
    lowest().expires_after(server_.limits.idle_timeout);
    stream_.async_read_some(buffer_.prepare(512),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return;
                              self->buffer_.commit(n);
                              self->lowest().expires_after(self->server_.limits.header_timeout);
                              self->read_header();
                            });
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(server_.limits.max_header_bytes);
    parser_->body_limit(4096);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec == beast::error::timeout) self->server_.header_timeouts->Increment();
                       if (ec) return;
                       self->authorize();
                     });
  }

  void authorize() {
    const auto& req = parser_->get();
    settings_now_ = server_.settings();  // a reload's users apply to kept-alive connections too
    auto auth = settings().auth;
    if (!auth) return respond(true);
    std::string header(req[http::field::authorization]);
    if (auth->cached(header)) return respond(auth->check(header));
    asio::post(server_.bcrypt, [self = this->shared_from_this(), auth, header] {
      const bool ok = auth->check(header);
      asio::post(self->server_.io, [self, ok] { self->respond(ok); });
    });
  }

  const Settings& settings() const { return *settings_now_; }

  void respond(bool authorized) {
    const auto& req = parser_->get();
    auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, req.version());
    res->keep_alive(req.keep_alive());
    build(req, *res, authorized);
    for (const auto& [name, value] : settings().headers) res->set(name, value);
    const auto body_size = res->body().size();
    res->prepare_payload();
    if (req.method() == http::verb::head) {
      res->body().clear();
      res->content_length(body_size);
    }
    server_.requests->Add({{"code", std::to_string(res->result_int())}}).Increment();
    answering = true;
    lowest().expires_after(server_.limits.write_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
                        self->answering = false;
                        if (ec || !res->keep_alive()) return self->close();
                        self->wait_next_request();
                      });
  }

  void build(const http::request<http::string_body>& req, http::response<http::string_body>& res,
             bool authorized) {
    auto target = std::string_view(req.target());
    target = target.substr(0, target.find('?'));
    if (!authorized) {
      res.result(http::status::unauthorized);
      res.set(http::field::www_authenticate, "Basic realm=\"bmcquiet\"");
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "Unauthorized\n";
    } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD");
      res.keep_alive(false);
    } else if (target == "/metrics") {
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = server_.collect();
    } else if (target == "/") {
      res.set(http::field::content_type, "text/html; charset=utf-8");
      res.body() = kLanding;
    } else {
      res.result(http::status::not_found);
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "Not found: try /metrics\n";
    }
  }

  WebServer::Impl& server_;
  std::shared_ptr<const Settings> settings_;  // this connection's TLS context
  std::shared_ptr<const Settings> settings_now_ = server_.settings();
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

WebServer::Impl::Impl(Metrics& metrics, WebServerLimits limits_) : limits(limits_) {
  requests = &metrics.counter_family("bmcquiet_exporter_requests_total",
                                     "HTTP requests answered by the metrics endpoint, by status");
  evicted = &metrics.counter(
      "bmcquiet_exporter_connections_evicted_total",
      "Connections closed to make room for a new one when the connection cap was reached");
  header_timeouts =
      &metrics.counter("bmcquiet_exporter_header_timeouts_total",
                       "Connections closed because their request header did not arrive in time");
  open_connections =
      &metrics.gauge("bmcquiet_exporter_connections", "Connections open to the metrics endpoint");
}

// Open connections end with the loop: their handlers are destroyed with it.
WebServer::Impl::~Impl() {
  io.stop();
  if (thread.joinable()) thread.join();
  bcrypt.join();
}

void WebServer::Impl::accept() {
  acceptor.async_accept(io, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors (EMFILE): make room, and try again shortly rather
      // than spinning on the pending connection.
      evict_oldest();
      accept_retry.expires_after(std::chrono::milliseconds(20));
      accept_retry.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) accept();
      });
      return;
    }
    on_accept(std::move(socket));
    accept();
  });
}

void WebServer::Impl::on_accept(tcp::socket socket) {
  if (connections.size() >= limits.max_connections && !evict_oldest()) return;  // socket closes
  auto now = settings();
  if (now->tls) {
    auto tls = now->tls;
    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, now, std::move(socket),
                                                                    *tls)
        ->start();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(*this, now, std::move(socket))->start();
  }
}

// The oldest connection that is not being answered: idle, or still sending its
// header. A scraper sends its request at once, so a connection that waits the
// longest is the least likely to be one.
bool WebServer::Impl::evict_oldest() {
  for (auto* c : connections) {
    if (c->answering) continue;
    c->close();  // leaves the list
    evicted->Increment();
    return true;
  }
  return false;
}

std::string WebServer::Impl::collect() const {
  std::vector<prometheus::MetricFamily> families;
  std::vector<std::shared_ptr<prometheus::Collectable>> live;
  {
    std::lock_guard lock(mutex);
    live = collectables;
  }
  for (const auto& c : live) {
    auto more = c->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebServer::~WebServer() = default;

std::unique_ptr<WebServer> WebServer::open(const std::string& listen, Metrics& self_metrics,
                                           std::string& error, WebServerLimits limits) {
  auto endpoint = resolve_listen(listen, error);
  if (!endpoint) return nullptr;
  auto impl = std::make_unique<Impl>(self_metrics, limits);
  beast::error_code ec;
  auto& acceptor = impl->acceptor;
  acceptor.open(endpoint->protocol(), ec);
  // "[::]" on a host without IPv6 serves IPv4's any address, as Go's listeners do.
  if (ec && endpoint->address().is_v6() && endpoint->address().is_unspecified()) {
    endpoint = tcp::endpoint(asio::ip::address_v4::any(), endpoint->port());
    acceptor.open(endpoint->protocol(), ec);
  }
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  // "[::]" serves IPv4 too, as Go's listeners (and so every other exporter) do.
  if (!ec && endpoint->address().is_v6() && endpoint->address().is_unspecified())
    acceptor.set_option(asio::ip::v6_only(false), ec);
  if (!ec) acceptor.bind(*endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = fmt::format("cannot listen on {}: {}; choose another with --listen or exporter.listen",
                        listen, ec.message());
    return nullptr;
  }
  impl->accept();
  auto* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<WebServer>(new WebServer(std::move(impl)));
}

void WebServer::serve(std::shared_ptr<prometheus::Collectable> collectable) {
  std::lock_guard lock(impl_->mutex);
  impl_->collectables.push_back(std::move(collectable));
}

void WebServer::configure(const WebConfig& config) {
  auto next = std::make_shared<Settings>();
  if (config.tls) {
    SSL_CTX_up_ref(config.tls.get());  // asio's context frees its handle
    next->tls = std::make_shared<asio::ssl::context>(config.tls.get());
  }
  if (!config.basic_auth_users.empty())
    next->auth = std::make_shared<BasicAuth>(config.basic_auth_users);
  next->headers = config.headers;
  std::lock_guard lock(impl_->mutex);
  impl_->current = std::move(next);
}

unsigned short WebServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::string WebServer::scheme() const { return impl_->settings()->tls ? "https" : "http"; }

}  // namespace bmcquiet
