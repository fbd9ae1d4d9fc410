// The Client: one queue per BMC in front of one transport, so requests are
// single-flight whatever the number of callers, plus the metrics that show
// what talking to the BMC costs (requests, sessions, SMIs caused in-band).
#include "ipmi/client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>

#include <fmt/format.h>

#include "ipmi/codec.hpp"
#include "ipmi/inband.hpp"
#include "metrics/metrics.hpp"
#include "platform/smi_source.hpp"

namespace bmcquiet::ipmi {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr int kMaxSelEntries = 65535;  // record ids are 16 bits
constexpr int kClearPolls = 50;        // x 100 ms: erasing is slow on real BMCs

using CounterName = std::pair<const char*, const char*>;  // name, help
constexpr CounterName kRequests{"bmcquiet_ipmi_requests_total",
                                "IPMI requests bmcquiet sent to its BMC"};
constexpr CounterName kSessions{"bmcquiet_ipmi_sessions_opened_total",
                                "IPMI lanplus sessions bmcquiet opened"};
constexpr CounterName kTimeouts{"bmcquiet_ipmi_timeouts_total",
                                "IPMI request attempts that got no answer"};

}  // namespace

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
  struct Item {
    Request request;
    ResponseDone done;
  };

  Impl(asio::io_context& io_, ClientConfig config_, Metrics* metrics_,
       std::shared_ptr<Transport> transport_)
      : io(io_), config(std::move(config_)), transport(std::move(transport_)), metrics(metrics_) {
    count(kRequests, 0);  // exported from the start, at 0
    count(kSessions, 0);
    count(kTimeouts, 0);
  }

  // Looked up at each use, never cached: the owner of these series drops them
  // when a reload removes the BMC, and a cached reference would dangle.
  void count(const CounterName& counter, double n) {
    if (metrics)
      metrics->counter(counter.first, counter.second, {{"transport", transport_label()}})
          .Increment(n);
  }

  const char* transport_label() const {
    return config.transport == TransportKind::lanplus ? "lanplus" : "inband";
  }
  std::string endpoint() const {
    return config.transport == TransportKind::lanplus
               ? fmt::format("{}:{}", config.host, config.port)
               : config.device;
  }

  void submit(Request request, ResponseDone done) {
    queue.push_back({std::move(request), std::move(done)});
    // Never run a callback inside the caller's call: always from the loop.
    asio::post(io, [self = shared_from_this()] { self->pump(); });
  }

  void pump() {
    if (busy || queue.empty()) return;
    busy = true;
    auto item = std::move(queue.front());
    queue.pop_front();
    transport->send(item.request, [weak = weak_from_this(),
                                   done = std::move(item.done)](Result<Response> result) {
      auto self = weak.lock();
      if (self) self->account(result);
      done(std::move(result));
      if (self) {
        self->busy = false;
        self->pump();
      }
    });
  }

  void account(const Result<Response>& result) {
    ++stats.requests;
    const auto sessions = transport->sessions_opened(), timeouts = transport->timeouts();
    count(kRequests, 1);
    count(kSessions, double(sessions - stats.sessions_opened));
    count(kTimeouts, double(timeouts - stats.timeouts));
    stats.sessions_opened = sessions;
    stats.timeouts = timeouts;
    note_contact(result);
  }

  // A malformed answer is still an answer; a closed client learned nothing.
  void note_contact(const Result<Response>& result) {
    const auto status = result.ok() ? Status::ok : result.error.status;
    if (status == Status::closed) return;
    const bool answered = status != Status::timeout && status != Status::transport;
    contact = {answered, answered ? "" : result.error.message, std::chrono::steady_clock::now()};
  }

  void close() {
    auto pending = std::move(queue);
    queue.clear();
    transport->close();
    for (auto& item : pending)
      item.done(Result<Response>::failure({Status::closed, 0, endpoint() + ": client closed"}));
  }

  // Sends request and decodes the answer with parse; errors name the BMC.
  template <class T, class Parse>
  void call(Request request, Parse parse, Callback<T> done) {
    submit(std::move(request),
           [parse, where = endpoint(), done = std::move(done)](Result<Response> r) {
             if (!r.ok()) return done(Result<T>::failure(std::move(r.error)));
             Result<T> decoded = parse(*r.value);
             if (!decoded.ok()) decoded.error.message = where + ": " + decoded.error.message;
             done(std::move(decoded));
           });
  }

  void read_sel(std::uint16_t reservation, std::uint16_t record,
                std::shared_ptr<std::vector<SelEntry>> entries,
                Callback<std::vector<SelEntry>> done) {
    call<std::pair<SelEntry, std::uint16_t>>(
        codec::get_sel_entry(reservation, record), codec::parse_sel_entry,
        [self = shared_from_this(), reservation, record, entries,
         done = std::move(done)](Result<std::pair<SelEntry, std::uint16_t>> r) mutable {
          // An empty SEL answers the first read with "not present".
          if (!r.ok() && record == codec::kSelFirst && r.error.cc == 0xCB)
            return done(Result<std::vector<SelEntry>>::success({}));
          if (!r.ok()) return done(Result<std::vector<SelEntry>>::failure(std::move(r.error)));
          entries->push_back(r.value->first);
          const auto next = r.value->second;
          if (next == codec::kSelLast || next == record ||
              entries->size() >= std::size_t(kMaxSelEntries))
            return done(Result<std::vector<SelEntry>>::success(std::move(*entries)));
          self->read_sel(reservation, next, entries, std::move(done));
        });
  }

  void poll_clear(std::uint16_t reservation, int polls_left, Callback<SelClearStatus> done) {
    auto timer = std::make_shared<asio::steady_timer>(io, 100ms);
    timer->async_wait([self = shared_from_this(), timer, reservation, polls_left,
                       done = std::move(done)](boost::system::error_code) mutable {
      self->call<SelClearStatus>(
          codec::clear_sel(reservation, false), codec::parse_clear_sel,
          [self, reservation, polls_left, done = std::move(done)](Result<SelClearStatus> r) {
            if (!r.ok() || r.value->complete || polls_left <= 0) return done(std::move(r));
            self->poll_clear(reservation, polls_left - 1, std::move(done));
          });
    });
  }

  asio::io_context& io;
  ClientConfig config;
  std::shared_ptr<Transport> transport;
  std::deque<Item> queue;
  bool busy = false;
  ClientStats stats;
  LastContact contact;
  Metrics* metrics;  // a view that lives as long as the process
};

std::shared_ptr<Client> make_client(asio::io_context& io, const ClientConfig& config,
                                    Metrics* metrics, std::shared_ptr<Transport> transport) {
  return std::make_shared<Client>(
      std::make_shared<Client::Impl>(io, config, metrics, std::move(transport)));
}

std::shared_ptr<Client> Client::create(asio::io_context& io, ClientConfig config,
                                       Metrics* metrics) {
  if (config.transport == TransportKind::lanplus)
    return make_client(io, config, metrics, make_lan_transport(io, config));
  InbandHooks hooks;
  if (config.count_smis) {
    hooks.open_smi = [paths = config.paths]() {
      std::string error;  // no SMI source (VM, no msr access): requests are just not counted
      return open_smi_source(paths, SmiSourceKind::automatic, &error);
    };
  }
  if (metrics && config.count_smis) {
    auto self_smis = [metrics]() -> prometheus::Counter& {  // never cached: see Impl::count
      return metrics->counter(
          "bmcquiet_self_smi_total",
          "SMIs counted on the calling CPU across bmcquiet's own in-band IPMI requests",
          {{"cause", "ipmi_inband"}});
    };
    self_smis();  // exported from the start, at 0
    hooks.on_smis = [self_smis](std::uint64_t n) { self_smis().Increment(double(n)); };
  }
  return make_client(io, config, metrics, make_inband_transport(io, config, std::move(hooks)));
}

Client::Client(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() { impl_->close(); }

const char* Client::transport_name() const { return impl_->transport_label(); }
std::string Client::endpoint() const { return impl_->endpoint(); }
ClientStats Client::stats() const { return impl_->stats; }
LastContact Client::last_contact() const { return impl_->contact; }
void Client::close() { impl_->close(); }

void Client::get_device_id(Callback<DeviceId> done) {
  impl_->call<DeviceId>(codec::get_device_id(), codec::parse_device_id, std::move(done));
}
void Client::dcmi_get_capabilities(Callback<DcmiCapabilities> done) {
  impl_->call<DcmiCapabilities>(codec::dcmi_get_capabilities(), codec::parse_dcmi_capabilities,
                                std::move(done));
}
void Client::dcmi_get_power_reading(Callback<PowerReading> done) {
  impl_->call<PowerReading>(codec::dcmi_get_power_reading(), codec::parse_power_reading,
                            std::move(done));
}
void Client::dcmi_get_power_limit(Callback<PowerLimitState> done) {
  impl_->call<PowerLimitState>(codec::dcmi_get_power_limit(), codec::parse_power_limit,
                               std::move(done));
}
void Client::dcmi_set_power_limit(const DcmiPowerLimit& limit, Callback<Done> done) {
  impl_->call<Done>(codec::dcmi_set_power_limit(limit), codec::parse_dcmi_ack, std::move(done));
}
void Client::dcmi_activate_power_limit(bool activate, Callback<Done> done) {
  impl_->call<Done>(codec::dcmi_activate_power_limit(activate), codec::parse_dcmi_ack,
                    std::move(done));
}
void Client::get_watchdog(Callback<WatchdogState> done) {
  impl_->call<WatchdogState>(codec::get_watchdog(), codec::parse_watchdog, std::move(done));
}
void Client::set_watchdog(const WatchdogSettings& settings, Callback<Done> done) {
  impl_->call<Done>(codec::set_watchdog(settings), codec::parse_empty, std::move(done));
}
void Client::reset_watchdog(Callback<Done> done) {
  impl_->call<Done>(codec::reset_watchdog(), codec::parse_empty, std::move(done));
}

static std::uint8_t sol_channel(const ClientConfig& c) {
  if (c.sol_channel >= 0) return std::uint8_t(c.sol_channel);
  return c.transport == TransportKind::lanplus ? codec::kThisChannel : 1;
}

void Client::get_sol_enabled(Callback<bool> done) {
  impl_->call<bool>(codec::get_sol_enabled(sol_channel(impl_->config)), codec::parse_sol_enabled,
                    std::move(done));
}
void Client::set_sol_enabled(bool enabled, Callback<Done> done) {
  impl_->call<Done>(codec::set_sol_enabled(sol_channel(impl_->config), enabled), codec::parse_empty,
                    std::move(done));
}
void Client::get_sel_info(Callback<SelInfo> done) {
  impl_->call<SelInfo>(codec::get_sel_info(), codec::parse_sel_info, std::move(done));
}
void Client::reserve_sel(Callback<std::uint16_t> done) {
  impl_->call<std::uint16_t>(codec::reserve_sel(), codec::parse_sel_reservation, std::move(done));
}
void Client::get_sel_entries(std::uint16_t reservation, Callback<std::vector<SelEntry>> done) {
  impl_->read_sel(reservation, codec::kSelFirst, std::make_shared<std::vector<SelEntry>>(),
                  std::move(done));
}
void Client::clear_sel(std::uint16_t reservation, Callback<SelClearStatus> done) {
  impl_->call<SelClearStatus>(
      codec::clear_sel(reservation, true), codec::parse_clear_sel,
      [impl = impl_, reservation, done = std::move(done)](Result<SelClearStatus> r) {
        if (!r.ok() || r.value->complete) return done(std::move(r));
        impl->poll_clear(reservation, kClearPolls, std::move(done));
      });
}
void Client::raw(Request request, Callback<Response> done) {
  impl_->submit(std::move(request), std::move(done));
}

}  // namespace bmcquiet::ipmi
