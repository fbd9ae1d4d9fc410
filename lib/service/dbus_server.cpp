// sd-bus driven by the Asio loop: the bus fd is watched with a
// posix::stream_descriptor for the events sd_bus_get_events() asks for, and a
// timer fires at sd_bus_get_timeout(); each wake-up runs sd_bus_process()
// until it has nothing left, then re-arms. No thread, nothing blocks.
#include <poll.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>

#include "policy/engine.hpp"
#include "policy/report.hpp"
#include "service/dbus_names.hpp"
#include "service/dbus_server.hpp"

namespace bmcquiet {
namespace {

namespace asio = boost::asio;
using policy::Engine;

// Longest maintenance pause one call may ask for; longer ones are renewed.
constexpr std::uint64_t kMaxPauseSeconds = 30ull * 24 * 3600;

std::shared_ptr<Engine> engine_or_error(void* userdata, sd_bus_error* error) {
  const auto& active = static_cast<DbusServerHooks*>(userdata)->policy;
  auto engine = active ? active->engine : nullptr;
  if (!engine)
    sd_bus_error_set(error, dbus::kErrorNoPolicy,
                     "the policy is not running: set collectors.policy.enabled: true and reload");
  return engine;
}

int fail(sd_bus_error* error, const std::string& message) {
  return sd_bus_error_set(error, dbus::kErrorFailed, message.c_str());
}

int method_status(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  auto engine = engine_or_error(userdata, error);
  if (!engine) return -ENOENT;
  return sd_bus_reply_method_return(m, "s", policy::status_json(engine->status()).c_str());
}

int method_plan(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  auto engine = engine_or_error(userdata, error);
  if (!engine) return -ENOENT;
  return sd_bus_reply_method_return(m, "s", policy::plan_json(engine->plan()).c_str());
}

// Replies once the pass has finished, without blocking the loop meanwhile.
int method_apply(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  auto engine = engine_or_error(userdata, error);
  if (!engine) return -ENOENT;
  engine->rearm();  // an explicit apply is the operator's "enforce it again"
  sd_bus_message_ref(m);
  engine->reconcile([m, engine] {
    sd_bus_reply_method_return(m, "s", policy::status_json(engine->status()).c_str());
    sd_bus_message_unref(m);
  });
  return 1;
}

int method_pause(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  std::uint64_t seconds = 0;
  const char* reason = nullptr;
  if (int r = sd_bus_message_read(m, "ts", &seconds, &reason); r < 0) return r;
  if (seconds > kMaxPauseSeconds)
    return fail(error, fmt::format("a pause of {} s is longer than the {} s allowed; pause again "
                                   "when it ends",
                                   seconds, kMaxPauseSeconds));
  if (!reason || !*reason) return fail(error, "give a reason for the pause (it is audited)");
  auto engine = engine_or_error(userdata, error);
  if (!engine) return -ENOENT;
  if (auto problem = engine->pause(std::chrono::seconds(seconds), reason); !problem.empty())
    return fail(error, problem);
  return sd_bus_reply_method_return(m, "");
}

int method_resume(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  auto engine = engine_or_error(userdata, error);
  if (!engine) return -ENOENT;
  if (auto problem = engine->resume(); !problem.empty()) return fail(error, problem);
  return sd_bus_reply_method_return(m, "");
}

int method_reload(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  auto* hooks = static_cast<DbusServerHooks*>(userdata);
  if (!hooks->reload) return fail(error, "this daemon cannot reload");
  if (auto problem = hooks->reload(); !problem.empty())
    return sd_bus_error_set(error, dbus::kErrorConfig, problem.c_str());
  return sd_bus_reply_method_return(m, "");
}

// Status and Plan are open to everyone; the rest need root (sd-bus checks the
// caller's CAP_SYS_ADMIN/uid, and the bus policy file says the same).
const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_NAMES("Status", "", , "s", SD_BUS_PARAM(status), method_status,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("Plan", "", , "s", SD_BUS_PARAM(plan), method_plan,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("Apply", "", , "s", SD_BUS_PARAM(status), method_apply, 0),
    SD_BUS_METHOD_WITH_NAMES("Pause", "ts", SD_BUS_PARAM(seconds) SD_BUS_PARAM(reason), "", ,
                             method_pause, 0),
    SD_BUS_METHOD("Resume", "", "", method_resume, 0),
    SD_BUS_METHOD("Reload", "", "", method_reload, 0),
    SD_BUS_VTABLE_END};

class BusEndpoint final : public std::enable_shared_from_this<BusEndpoint> {
 public:
  BusEndpoint(asio::io_context& io, DbusServerHooks hooks)
      : hooks_(std::move(hooks)), descriptor_(io), timer_(io) {}

  ~BusEndpoint() {
    boost::system::error_code ec;
    descriptor_.cancel(ec);
    timer_.cancel();
    sd_bus_slot_unref(slot_);
    if (bus_) sd_bus_flush_close_unref(bus_);
  }

  std::string open() {
    if (int r = sd_bus_open_system(&bus_); r < 0)
      return fmt::format(
          "cannot connect to the system bus ({}); bmcquietctl status/plan/apply will not "
          "reach this daemon (pause/resume still work: they write the pause file)",
          std::strerror(-r));
    if (int r =
            sd_bus_add_object_vtable(bus_, &slot_, dbus::kPath, dbus::kInterface, kVtable, &hooks_);
        r < 0)
      return fmt::format("cannot export {} on the system bus: {}", dbus::kPath, std::strerror(-r));
    if (int r = sd_bus_request_name(bus_, dbus::kService, 0); r < 0)
      return fmt::format(
          "cannot own {} on the system bus ({}); is another bmcquietd running, or "
          "is {} missing from /usr/share/dbus-1/system.d?",
          dbus::kService, std::strerror(-r), "org.bmcquiet.Daemon1.conf");
    descriptor_.assign(::dup(sd_bus_get_fd(bus_)));
    return {};
  }

  void process() {
    for (;;) {
      int r = sd_bus_process(bus_, nullptr);
      if (r < 0) {
        spdlog::warn("the system bus connection failed ({}); remote control is off until restart",
                     std::strerror(-r));
        return;
      }
      if (r == 0) break;
    }
    arm();
  }

 private:
  // Waits for whatever sd-bus needs next; a stale wake-up (generation moved
  // on) is ignored, so re-arming never double-processes.
  void arm() {
    const auto generation = ++generation_;
    boost::system::error_code ec;
    descriptor_.cancel(ec);
    timer_.cancel();
    auto wake = [weak = weak_from_this(), generation](const boost::system::error_code& e) {
      auto self = weak.lock();
      if (e || !self || self->generation_ != generation) return;
      self->process();
    };
    const int events = sd_bus_get_events(bus_);
    if (events & POLLIN) descriptor_.async_wait(asio::posix::stream_descriptor::wait_read, wake);
    if (events & POLLOUT) descriptor_.async_wait(asio::posix::stream_descriptor::wait_write, wake);
    std::uint64_t until_usec = 0;
    if (sd_bus_get_timeout(bus_, &until_usec) >= 0 && until_usec != UINT64_MAX) {
      timespec ts{};
      ::clock_gettime(CLOCK_MONOTONIC, &ts);
      const std::uint64_t now_usec = std::uint64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
      timer_.expires_after(
          std::chrono::microseconds(until_usec > now_usec ? until_usec - now_usec : 0));
      timer_.async_wait(wake);
    }
  }

  DbusServerHooks hooks_;
  sd_bus* bus_ = nullptr;
  sd_bus_slot* slot_ = nullptr;
  asio::posix::stream_descriptor descriptor_;
  asio::steady_timer timer_;
  std::uint64_t generation_ = 0;
};

class NoBus final : public DbusServer {};

// Keeps the shared_ptr the Asio handlers need behind the unique_ptr the daemon holds.
class Holder final : public DbusServer {
 public:
  explicit Holder(std::shared_ptr<BusEndpoint> s) : service_(std::move(s)) {}

 private:
  std::shared_ptr<BusEndpoint> service_;
};

}  // namespace

std::unique_ptr<DbusServer> start_dbus_server(asio::io_context& io, DbusServerHooks hooks) {
  auto service = std::make_shared<BusEndpoint>(io, std::move(hooks));
  if (auto problem = service->open(); !problem.empty()) {
    spdlog::warn("{}", problem);
    return std::make_unique<NoBus>();
  }
  service->process();
  return std::make_unique<Holder>(std::move(service));
}

}  // namespace bmcquiet
