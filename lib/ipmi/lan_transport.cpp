// IPMI 2.0 lanplus over one Asio UDP socket: Open Session, RAKP 1-4, then
// encrypted, integrity-protected requests in that session until it idles out.
//
// One exchange is on the wire at a time (the Client serialises requests and
// the handshake is sequential by nature), so a single timer and a single
// "what answer do we wait for" slot are enough.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <openssl/crypto.h>

#include <array>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "core/credentials.hpp"
#include "ipmi/codec.hpp"
#include "ipmi/rmcp.hpp"
#include "ipmi/transport.hpp"

namespace bmcquiet::ipmi {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;

constexpr std::uint8_t kCmdSetSessionPrivilege = 0x3B;
constexpr std::uint8_t kCmdCloseSession = 0x3C;

bool same(const Bytes& a, const Bytes& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

class LanTransport final : public Transport, public std::enable_shared_from_this<LanTransport> {
 public:
  LanTransport(asio::io_context& io, const ClientConfig& config)
      : config_(config),
        suite_(*rmcp::cipher_suite(config.cipher_suite)),
        socket_(io),
        resolver_(io),
        timer_(io),
        idle_timer_(io) {}

  void send(const Request& request, ResponseDone done) override {
    idle_timer_.cancel();
    request_ = request;
    done_ = std::move(done);
    if (active_) {
      run_request();
    } else {
      open_session();
    }
  }

  void close() override {
    ++generation_;
    if (active_) send_close_session();
    reset();
    if (auto done = std::move(done_)) {
      done_ = nullptr;
      done(Result<Response>::failure({Status::closed, 0, where() + ": client closed"}));
    }
  }

  std::uint64_t sessions_opened() const override { return sessions_; }
  std::uint64_t timeouts() const override { return timeouts_; }

 private:
  using PacketDone = std::function<void(std::optional<rmcp::Packet>)>;
  struct Exchange {
    std::function<Bytes()> build;  // called per attempt: sequence numbers move on
    std::function<bool(const rmcp::Packet&)> accept;
    PacketDone done;
    int attempts_left = 0;
    std::string what;  // for the timeout message
  };

  std::string where() const {
    return fmt::format("IPMI lanplus {}:{}", config_.host, config_.port);
  }

  void fail(Status status, std::string message) {
    if (status != Status::completion_code) reset();
    if (auto done = std::move(done_)) {
      done_ = nullptr;
      done(Result<Response>::failure({status, 0, where() + ": " + message}));
    }
  }

  void reset() {
    active_ = false;
    exchange_.reset();
    timer_.cancel();
    idle_timer_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    resolver_.cancel();
  }

  // --- session setup ---------------------------------------------------------

  void open_session() {
    auto secret = load_secret(config_.password_credential, config_.password_file);
    if (!secret.secret) return fail(Status::transport, secret.error);
    hs_ = rmcp::Handshake{};
    hs_.suite = suite_;
    hs_.user = config_.username;
    hs_.password = secret.secret->reveal();
    if (socket_.is_open()) return step_open();
    const auto gen = generation_;
    resolver_.async_resolve(config_.host, std::to_string(config_.port),
                            [self = shared_from_this(), gen](boost::system::error_code ec,
                                                             udp::resolver::results_type results) {
                              if (gen != self->generation_) return;
                              if (ec || results.empty())
                                return self->fail(
                                    Status::transport,
                                    fmt::format("cannot resolve the host ({}); check bmc.ipmi.host",
                                                ec ? ec.message() : "no address"));
                              self->connect(results.begin()->endpoint());
                            });
  }

  void connect(const udp::endpoint& endpoint) {
    boost::system::error_code ec;
    socket_.open(endpoint.protocol(), ec);
    if (!ec) socket_.connect(endpoint, ec);
    if (ec)
      return fail(Status::transport, fmt::format("cannot open a UDP socket: {}", ec.message()));
    receive();
    step_open();
  }

  void step_open() {
    std::uint32_t sid = 0;
    const auto random = rmcp::random16();
    std::memcpy(&sid, random.data(), 4);
    hs_.console_sid = sid | 1;  // never 0, which means "no session"
    const auto tag = ++tag_;
    const auto priv = std::uint8_t(config_.privilege);
    auto payload = rmcp::open_session_request(tag, priv, hs_.console_sid, suite_);
    exchange(
        "Open Session",
        [this, payload] {
          return rmcp::wrap(rmcp::kPayloadOpenRequest, 0, 0, payload, suite_, nullptr);
        },
        [tag](const rmcp::Packet& p) {
          return p.payload_type == rmcp::kPayloadOpenResponse && !p.payload.empty() &&
                 p.payload[0] == tag;
        },
        [this](std::optional<rmcp::Packet> p) {
          auto r = rmcp::parse_open_session_response(p->payload);
          if (!r) return fail(Status::malformed, "Open Session answer is truncated");
          if (r->status != 0)
            return fail(Status::transport,
                        fmt::format("Open Session refused: {}; check bmc.ipmi.cipher_suite and "
                                    "bmc.ipmi.privilege",
                                    rmcp::describe_rakp_status(r->status)));
          if (r->console_sid != hs_.console_sid)
            return fail(Status::malformed, "Open Session answer names another session");
          if (r->auth != suite_.auth || r->integrity != suite_.integrity ||
              r->confidentiality != suite_.confidentiality)
            return fail(Status::transport,
                        fmt::format("the BMC offered other algorithms than cipher suite {}; "
                                    "pick one it supports in bmc.ipmi.cipher_suite",
                                    suite_.id));
          hs_.bmc_sid = r->bmc_sid;
          step_rakp1();
        });
  }

  void step_rakp1() {
    hs_.rm = rmcp::random16();
    hs_.role = std::uint8_t(std::uint8_t(config_.privilege) | 0x10);  // name-only lookup
    const auto tag = ++tag_;
    auto payload = rmcp::rakp1(tag, hs_);
    exchange(
        "RAKP 1",
        [this, payload] { return rmcp::wrap(rmcp::kPayloadRakp1, 0, 0, payload, suite_, nullptr); },
        [tag](const rmcp::Packet& p) {
          return p.payload_type == rmcp::kPayloadRakp2 && !p.payload.empty() && p.payload[0] == tag;
        },
        [this](std::optional<rmcp::Packet> p) {
          auto r = rmcp::parse_rakp2(p->payload);
          if (!r) return fail(Status::malformed, "RAKP 2 is truncated");
          if (r->status != 0)
            return fail(Status::transport,
                        fmt::format("the BMC refused user '{}' (RAKP 2: {}); check "
                                    "bmc.ipmi.username and its privilege on the BMC",
                                    config_.username, rmcp::describe_rakp_status(r->status)));
          hs_.rc = r->rc;
          hs_.guid = r->guid;
          if (!same(r->auth_code, rmcp::rakp2_auth_code(hs_)))
            return fail(Status::transport,
                        fmt::format("RAKP 2 does not authenticate: the password for user '{}' "
                                    "is wrong (check the credential)",
                                    config_.username));
          step_rakp3();
        });
  }

  void step_rakp3() {
    keys_ = rmcp::derive_keys(hs_);
    const auto tag = ++tag_;
    auto payload = rmcp::rakp3(tag, hs_);
    exchange(
        "RAKP 3",
        [this, payload] { return rmcp::wrap(rmcp::kPayloadRakp3, 0, 0, payload, suite_, nullptr); },
        [tag](const rmcp::Packet& p) {
          return p.payload_type == rmcp::kPayloadRakp4 && !p.payload.empty() && p.payload[0] == tag;
        },
        [this](std::optional<rmcp::Packet> p) {
          auto r = rmcp::parse_rakp4(p->payload);
          if (!r) return fail(Status::malformed, "RAKP 4 is truncated");
          if (r->status != 0)
            return fail(Status::transport,
                        fmt::format("RAKP 4: {}", rmcp::describe_rakp_status(r->status)));
          if (!same(r->icv, rmcp::rakp4_icv(hs_, keys_)))
            return fail(Status::transport, "RAKP 4 integrity check value is wrong");
          active_ = true;
          ++sessions_;
          out_seq_ = 1;
          raise_privilege();
        });
  }

  // Sessions start at User level (IPMI 2.0 §13.17); ask for the configured one.
  void raise_privilege() {
    if (config_.privilege <= Privilege::user) return run_request();
    auto user_request = std::move(request_);
    request_ = {codec::kNetFnApp, kCmdSetSessionPrivilege, {std::uint8_t(config_.privilege)}};
    in_session("Set Session Privilege Level", [this, user_request](const Response& r) {
      const bool granted =
          r.cc == kCcOk && !r.data.empty() && (r.data[0] & 0x0F) == std::uint8_t(config_.privilege);
      if (!granted)
        return fail(Status::transport,
                    fmt::format("the BMC refused privilege {} ({}); lower bmc.ipmi.privilege or "
                                "raise the user's limit on the BMC",
                                int(config_.privilege), describe_cc(r.cc)));
      request_ = user_request;
      run_request();
    });
  }

  // --- requests in the session -----------------------------------------------

  void run_request() {
    in_session(fmt::format("netfn 0x{:02X} cmd 0x{:02X}", request_.netfn, request_.cmd),
               [this](const Response& r) {
                 auto done = std::move(done_);
                 done_ = nullptr;
                 arm_idle();
                 if (done) done(Result<Response>::success(r));
               });
  }

  void in_session(std::string what, std::function<void(const Response&)> on_answer) {
    rq_seq_ = std::uint8_t((rq_seq_ + 1) & 0x3F);
    const auto rq_seq = rq_seq_;
    const auto message = rmcp::lan_request(request_, rq_seq);
    const auto netfn = request_.netfn, cmd = request_.cmd;
    exchange(
        std::move(what),
        [this, message] {
          return rmcp::wrap(rmcp::kPayloadIpmi, hs_.bmc_sid, out_seq_++, message, suite_, &keys_);
        },
        [this, rq_seq, netfn, cmd](const rmcp::Packet& p) {
          if (p.payload_type != rmcp::kPayloadIpmi || p.session_id != hs_.console_sid ||
              !p.authenticated || !p.encrypted)
            return false;
          auto r = rmcp::parse_lan_response(p.payload);
          return r && r->rq_seq == rq_seq && r->cmd == cmd && r->netfn == (netfn | 1);
        },
        [on_answer = std::move(on_answer)](std::optional<rmcp::Packet> p) {
          on_answer(rmcp::parse_lan_response(p->payload)->response);
        });
  }

  void arm_idle() {
    idle_timer_.expires_after(config_.session_idle);
    const auto gen = generation_;
    idle_timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
      if (ec || gen != self->generation_ || self->done_ || !self->active_) return;
      self->send_close_session();
      self->reset();
    });
  }

  // Best effort: a lost Close Session only leaves a session to time out on the BMC.
  void send_close_session() {
    Bytes data;
    codec::put32(data, hs_.bmc_sid);
    auto message = rmcp::lan_request({codec::kNetFnApp, kCmdCloseSession, data},
                                     std::uint8_t((rq_seq_ + 1) & 0x3F));
    auto packet = rmcp::wrap(rmcp::kPayloadIpmi, hs_.bmc_sid, out_seq_++, message, suite_, &keys_);
    boost::system::error_code ignored;
    socket_.send(asio::buffer(packet), 0, ignored);
    active_ = false;
  }

  // --- the wire ----------------------------------------------------------------

  void exchange(std::string what, std::function<Bytes()> build,
                std::function<bool(const rmcp::Packet&)> accept, PacketDone done) {
    exchange_ = Exchange{std::move(build), std::move(accept), std::move(done), config_.retries,
                         std::move(what)};
    transmit();
  }

  void transmit() {
    auto packet = exchange_->build();
    boost::system::error_code ec;
    socket_.send(asio::buffer(packet), 0, ec);  // UDP: never blocks for long
    timer_.expires_after(config_.timeout);
    const auto gen = generation_;
    timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code wait_ec) {
      if (wait_ec || gen != self->generation_ || !self->exchange_) return;
      self->on_timeout();
    });
  }

  void on_timeout() {
    ++timeouts_;
    if (exchange_->attempts_left-- > 0) return transmit();
    const auto what = exchange_->what;
    fail(Status::timeout,
         fmt::format("no answer to {} after {} attempts of {} ms; check that the BMC is up and "
                     "reachable on UDP {}",
                     what, config_.retries + 1, config_.timeout.count(), config_.port));
  }

  void receive() {
    const auto gen = generation_;
    socket_.async_receive(asio::buffer(rx_), [self = shared_from_this(), gen](
                                                 boost::system::error_code ec, std::size_t n) {
      if (gen != self->generation_ || ec == asio::error::operation_aborted ||
          !self->socket_.is_open())
        return;
      // ICMP "port unreachable" surfaces here as an error: keep listening, the
      // exchange's timer decides when to give up.
      if (!ec) self->on_datagram(Bytes(self->rx_.begin(), self->rx_.begin() + std::ptrdiff_t(n)));
      self->receive();
    });
  }

  void on_datagram(const Bytes& datagram) {
    if (!exchange_) return;
    std::string error;
    auto packet = rmcp::unwrap(datagram, suite_, active_ ? &keys_ : nullptr, &error);
    if (!packet || !exchange_->accept(*packet)) return;  // stray or late: ignore
    timer_.cancel();
    auto done = std::move(exchange_->done);
    exchange_.reset();
    done(std::move(packet));
  }

  ClientConfig config_;
  rmcp::CipherSuite suite_;
  udp::socket socket_;
  udp::resolver resolver_;
  asio::steady_timer timer_, idle_timer_;
  std::array<std::uint8_t, 2048> rx_{};

  Request request_;
  ResponseDone done_;
  std::optional<Exchange> exchange_;
  rmcp::Handshake hs_;
  rmcp::SessionKeys keys_;
  bool active_ = false;
  std::uint32_t out_seq_ = 1;
  std::uint8_t rq_seq_ = 0, tag_ = 0;
  std::uint64_t generation_ = 0, sessions_ = 0, timeouts_ = 0;
};

}  // namespace

std::shared_ptr<Transport> make_lan_transport(asio::io_context& io, const ClientConfig& config) {
  return std::make_shared<LanTransport>(io, config);
}

}  // namespace bmcquiet::ipmi
