#include "sim.hpp"

#include <fstream>

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

std::optional<Fault> Sim::take_fault(const std::string& path, bool handshake) {
  if (!fault || (fault->kind == "wrong_cert") != handshake) return std::nullopt;
  if (!handshake && path.find(fault->path) == std::string::npos) return std::nullopt;
  auto f = *fault;
  if (fault->count > 0 && --fault->count == 0) fault.reset();
  return f;
}

std::chrono::milliseconds Sim::latency_for(const std::string& path) const {
  for (const auto& [fragment, ms] : path_latency)
    if (path.find(fragment) != std::string::npos) return ms;
  return options.latency;
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
