#include "redfish/curl_loop.hpp"

#include <poll.h>

#include <vector>

#include <boost/asio/post.hpp>

namespace bmcquiet::redfish {
namespace asio = boost::asio;

std::shared_ptr<CurlLoop> CurlLoop::create(asio::io_context& io, long max_connections) {
  static const bool once = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)once;
  return std::shared_ptr<CurlLoop>(new CurlLoop(io, max_connections));
}

CurlLoop::CurlLoop(asio::io_context& io, long max_connections) : io_(io), timer_(io) {
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlLoop::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlLoop::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  // Extra requests queue inside curl rather than opening more connections:
  // BMCs have few session/connection slots and every TLS handshake costs.
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, max_connections);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, max_connections);
}

CurlLoop::~CurlLoop() { close(); }

void CurlLoop::close() {
  if (!multi_) return;
  timer_.cancel();
  for (auto& [easy, done] : transfers_) curl_multi_remove_handle(multi_, easy);
  transfers_.clear();
  curl_multi_cleanup(multi_);  // closes pooled connections: on_socket REMOVEs them
  multi_ = nullptr;
  for (auto& [fd, s] : sockets_) {
    s->closed = true;
    s->desc.release();
  }
  sockets_.clear();
}

void CurlLoop::add(CURL* easy, Done done) {
  if (!multi_) {
    asio::post(io_, [done = std::move(done)] { done(CURLE_ABORTED_BY_CALLBACK); });
    return;
  }
  transfers_[easy] = std::move(done);
  curl_multi_add_handle(multi_, easy);  // on_timer schedules the first action
}

void CurlLoop::cancel(CURL* easy) {
  if (transfers_.erase(easy) && multi_) curl_multi_remove_handle(multi_, easy);
}

int CurlLoop::on_socket(CURL*, curl_socket_t fd, int what, void* userp, void*) {
  auto* self = static_cast<CurlLoop*>(userp);
  if (what == CURL_POLL_REMOVE) {
    self->forget(fd);
    return 0;
  }
  auto& slot = self->sockets_[fd];
  if (!slot) slot = std::make_shared<Socket>(self->io_, fd);
  slot->want = what;
  self->watch(slot);
  return 0;
}

int CurlLoop::on_timer(CURLM*, long timeout_ms, void* userp) {
  auto* self = static_cast<CurlLoop*>(userp);
  self->timer_.cancel();
  if (timeout_ms < 0) return 0;
  // Never call back into curl from inside its own callback: go through the loop.
  self->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  self->timer_.async_wait([weak = self->weak_from_this()](boost::system::error_code ec) {
    auto loop = weak.lock();
    if (!ec && loop) loop->action(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void CurlLoop::watch(const std::shared_ptr<Socket>& s) {
  auto arm = [this, s](bool& busy, int flag, short events,
                       asio::posix::descriptor_base::wait_type type, int select) {
    if (!(s->want & flag) || busy) return;
    busy = true;
    auto ready = [weak = weak_from_this(), s, &busy, select](boost::system::error_code ec) {
      busy = false;
      auto loop = weak.lock();
      if (!loop || s->closed || ec == asio::error::operation_aborted) return;
      loop->action(s->fd, ec ? CURL_CSELECT_ERR : select);
      if (!s->closed) loop->watch(s);
    };
    // Asio's epoll reactor is edge-triggered, curl expects level-triggered:
    // data curl left in the socket would never raise a new edge. Look first.
    pollfd p{s->fd, events, 0};
    if (::poll(&p, 1, 0) > 0) {
      asio::post(io_, [ready] { ready({}); });
    } else {
      s->desc.async_wait(type, ready);
    }
  };
  arm(s->reading, CURL_POLL_IN, POLLIN, asio::posix::descriptor_base::wait_read, CURL_CSELECT_IN);
  arm(s->writing, CURL_POLL_OUT, POLLOUT, asio::posix::descriptor_base::wait_write,
      CURL_CSELECT_OUT);
}

void CurlLoop::forget(curl_socket_t fd) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  it->second->closed = true;
  it->second->desc.release();  // curl owns the fd and closes it; Asio only stops watching
  sockets_.erase(it);
}

void CurlLoop::action(curl_socket_t fd, int mask) {
  if (!multi_) return;
  int running = 0;
  curl_multi_socket_action(multi_, fd, mask, &running);
  finish_done();
}

void CurlLoop::finish_done() {
  std::vector<std::pair<Done, CURLcode>> finished;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    const CURLcode code = msg->data.result;
    auto it = transfers_.find(easy);
    curl_multi_remove_handle(multi_, easy);
    if (it == transfers_.end()) continue;
    finished.emplace_back(std::move(it->second), code);
    transfers_.erase(it);
  }
  // Handlers may start new transfers or destroy this loop: run them last.
  auto keep = shared_from_this();
  for (auto& [done, code] : finished) done(code);
}

}  // namespace bmcquiet::redfish
