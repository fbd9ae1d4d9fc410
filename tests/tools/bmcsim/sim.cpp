#include "sim.hpp"

#include <fstream>

#include <boost/asio/as_tuple.hpp>

namespace bmcsim {

Sim::Sim(asio::io_context& io_context, Options opts, Store resources)
    : io(io_context),
      options(std::move(opts)),
      store(std::move(resources)),
      redfish_acceptor_(io_context),
      control_acceptor_(io_context) {
  if (options.tls) {
    good_tls.use_certificate_chain_file(options.cert);
    good_tls.use_private_key_file(options.key, asio::ssl::context::pem);
    const bool have_wrong = !options.wrong_cert.empty();
    wrong_tls.use_certificate_chain_file(have_wrong ? options.wrong_cert : options.cert);
    wrong_tls.use_private_key_file(have_wrong ? options.wrong_key : options.key,
                                   asio::ssl::context::pem);
  }
}

void Sim::start() {
  const auto address = asio::ip::make_address(options.bind);
  for (auto [acceptor, port] : {std::pair{&redfish_acceptor_, options.port},
                                std::pair{&control_acceptor_, options.control_port}}) {
    tcp::endpoint ep(address, port);
    acceptor->open(ep.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen();
  }
  accept_redfish();
  accept_control();
  if (!options.ready_file.empty()) {
    const auto tmp = options.ready_file + ".tmp";
    std::ofstream(tmp) << redfish_acceptor_.local_endpoint().port() << ' '
                       << control_acceptor_.local_endpoint().port() << '\n';
    std::rename(tmp.c_str(), options.ready_file.c_str());
  }
}

void Sim::accept_redfish() {
  redfish_acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (!ec) spawn_redfish_connection(*this, std::move(socket));
    accept_redfish();
  });
}

void Sim::accept_control() {
  control_acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (!ec) spawn_control_connection(*this, std::move(socket));
    accept_control();
  });
}

std::optional<Fault> Sim::take_fault(const std::string& path, bool handshake,
                                     const std::string& method) {
  if (!fault || (fault->kind == "wrong_cert") != handshake) return std::nullopt;
  if (!handshake && path.find(fault->path) == std::string::npos) return std::nullopt;
  if (!fault->method.empty() && fault->method != method) return std::nullopt;
  auto f = *fault;
  if (fault->count > 0 && --fault->count == 0) fault.reset();
  return f;
}

std::chrono::milliseconds Sim::latency_for(const std::string& path) const {
  for (const auto& [fragment, ms] : path_latency)
    if (path.find(fragment) != std::string::npos) return ms;
  return profile ? profile->for_path(path, options.latency) : options.latency;
}

bool Sim::load_latency_profile(const std::string& file, std::string* error) {
  auto loaded = bmcsim::load_latency_profile(file, error);
  if (!loaded) return false;
  // Keys as the store spells paths, so a README's trailing '/' still matches.
  LatencyProfile normalized{loaded->source, loaded->average, {}};
  for (const auto& [path, ms] : loaded->paths) normalized.paths[Store::normalize(path)] = ms;
  if (normalized.average) options.latency = *normalized.average;
  profile = std::move(normalized);
  return true;
}

asio::awaitable<bool> Sim::acquire_turn() {
  if (!options.serialize) co_return false;
  if (!busy) {
    busy = true;
    co_return true;
  }
  const auto asked = Clock::now();
  auto turn = std::make_shared<asio::steady_timer>(io, Clock::time_point::max());
  turn_waiters.push_back(turn);
  counters.queued_max = std::max(counters.queued_max, ++counters.queued);
  co_await turn->async_wait(asio::as_tuple(asio::use_awaitable));  // release_turn() cancels it
  --counters.queued;
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - asked);
  counters.queue_wait_total += waited;
  counters.queue_wait_max = std::max(counters.queue_wait_max, waited);
  co_return true;
}

void Sim::release_turn() {
  if (turn_waiters.empty()) {
    busy = false;
    return;
  }
  // The turn passes straight to the oldest waiter: busy stays set, so a
  // request read meanwhile cannot jump the queue.
  auto next = std::move(turn_waiters.front());
  turn_waiters.pop_front();
  next->cancel();
}

void Sim::reboot_soon() {
  auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(50));
  timer->async_wait([this, timer](boost::system::error_code) { reboot(); });
}

void Sim::reboot() {
  for (const auto& [token, s] : sessions) store.erase(s.uri);
  sessions.clear();
  for (auto& [id, socket] : open_sockets) {
    boost::system::error_code ec;
    socket->close(ec);
  }
}

}  // namespace bmcsim
