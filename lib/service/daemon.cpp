#include "service/daemon.hpp"

#include <malloc.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <optional>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bmc/bmc.hpp"
#include "collectors/scheduler.hpp"
#include "core/log.hpp"
#include "core/notify.hpp"
#include "metrics/metrics.hpp"
#include "metrics/names.hpp"
#include "metrics/process_metrics.hpp"
#include "policy/engine.hpp"
#include "service/confinement.hpp"
#include "service/dbus_server.hpp"
#include "service/web_server.hpp"

namespace bmcquiet {
namespace {

// A reload waits until SIGHUPs have been quiet this long (an editor saving
// twice, a loop of `kill -HUP`), so a burst shares one reload of the file as it
// is after the burst; a storm that never settles still reloads every
// kReloadMaxDelay.
constexpr std::chrono::milliseconds kReloadSettle{100};
constexpr std::chrono::milliseconds kReloadMaxDelay{1000};

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::unique_ptr<WebServer> open_exporter(const DaemonConfig& config, Metrics& metrics,
                                         std::string& error) {
  auto server = WebServer::open(config.listen, metrics, error);
  if (!server) return nullptr;
  server->configure(config.web);
  server->serve(metrics.registry());
  server->serve(make_process_metrics());
  return server;
}

class Daemon {
 public:
  explicit Daemon(DaemonOptions options)
      : options_(std::move(options)),
        signals_(io_),
        watchdog_timer_(io_),
        status_timer_(io_),
        reload_timer_(io_),
        scheduler_(io_, metrics_) {}

  int run() {
    auto loaded = build_setup(options_.config_path, options_.cli, io_, metrics_, policy_engine_);
    if (!loaded.setup) return report_config_errors(*loaded.diagnostics);
    set_log_level(loaded.setup->config.log_level);
    log_config_warnings(*loaded.diagnostics);
    if (options_.check_only) return check_only(*loaded.setup);
    // Before the exporter and the collectors start: their threads inherit it.
    confinement_.apply(loaded.setup->config);
    std::string error;
    exposer_ = open_exporter(loaded.setup->config, metrics_, error);
    if (!exposer_) {
      spdlog::error("{}", error);
      return 1;
    }
    publish_build_info();
    apply(std::move(*loaded.setup));
    record_reload(true);
    handle_signals();
    pet_watchdog();
    // The D-Bus server lives across reloads; each setup's policy collector
    // publishes its engine in policy_engine_, where the server finds it.
    dbus_server_ = start_dbus_server(io_, {[this] { return reload(); }, policy_engine_});
    confinement_.publish(metrics_);
    refresh_status();
    notify::ready(status_line());
    spdlog::info("bmcquietd {} ready: {}", BMCQUIET_VERSION, status_line());
    if (auto note = bmc_->not_configured_note(); !note.empty()) spdlog::warn("{}", note);
    io_.run();
    exposer_.reset();
    return 0;
  }

 private:
  int report_config_errors(const ConfigDiagnostics& diagnostics) {
    for (const auto& issue : diagnostics.issues())
      std::fprintf(stderr, "%s\n", issue.str().c_str());
    std::fprintf(stderr, "bmcquietd: %zu problem(s) in the configuration; nothing was started\n",
                 diagnostics.issues().size());
    return 2;
  }

  void publish_build_info() {
    metrics_.set_info(names::kBuildInfo, "Version and git revision of this bmcquietd build",
                      {{"version", BMCQUIET_VERSION}, {"revision", BMCQUIET_REVISION}});
  }

  // Valid syntax is not enough: a configured BMC without its password would
  // start and then fail every login, so that is an error here too (exit 1).
  int check_only(const DaemonSetup& setup) const {
    const auto& path = options_.config_path;
    const auto problems = setup.bmc->secret_problems();
    for (const auto& p : problems) std::fprintf(stderr, "%s: %s\n", path.c_str(), p.c_str());
    if (auto note = setup.bmc->not_configured_note(); !note.empty())
      std::printf("%s: note: %s\n", path.c_str(), note.c_str());
    if (!problems.empty()) return 1;
    std::printf("%s: OK (%zu collectors enabled)\n", path.c_str(), setup.collectors.size());
    return 0;
  }

  void apply(DaemonSetup setup) {
    config_ = setup.config;
    collector_names_.clear();
    for (const auto& c : setup.collectors) collector_names_.insert(c.name);
    // The new collectors borrow the new owner as they start; it takes the
    // running clients over when `bmc:` did not change (same session).
    setup.bmc->inherit_from(bmc_);
    scheduler_.replace(std::move(setup.collectors));
    setup.bmc->inherit_from(nullptr);
    if (bmc_) retire(std::move(bmc_));  // ends whatever was not taken over
    bmc_ = std::move(setup.bmc);
    bmc_->publish_configured(metrics_);
    // The old collectors are stopped: a disabled one leaves no frozen series.
    metrics_.drop_owners_except(live_owners());
  }

  std::set<std::string> live_owners() const {
    auto live = collector_names_;
    if (bmc_) live.insert(bmc_->metrics_owner());
    for (const auto& old : retiring_) live.insert(old->metrics_owner());
    return live;
  }

  // A replaced BMC owner ends its session in the background (bounded); its
  // clients' series go once it is done, not before: they still write them.
  void retire(std::shared_ptr<bmc::Bmc> old) {
    retiring_.push_back(old);
    old->shutdown([this, gone = old.get()] {
      std::erase_if(retiring_, [gone](const auto& b) { return b.get() == gone; });
      metrics_.drop_owners_except(live_owners());
      // Posted: what the owner queued while finishing (releasing its client) runs first.
      if (stopping_ && retiring_.empty()) boost::asio::post(io_, [this] { io_.stop(); });
    });
  }

  std::string status_line() const {
    auto host = config_.listen.substr(0, config_.listen.rfind(':'));
    return fmt::format("metrics on {}://{}:{}/metrics; {}", exposer_->scheme(), host,
                       exposer_->port(), scheduler_.summary());
  }

  void handle_signals() {
    signals_.add(SIGHUP);
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        request_reload();
        handle_signals();
        return;
      }
      shutdown(signo);
    });
  }

  // Asio queues every SIGHUP it sees and hands them out before a SIGTERM, so a
  // storm once meant minutes of back-to-back reloads before a stop. A SIGHUP
  // only asks: those arriving while one reload is pending join it.
  void request_reload() {
    if (stopping_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!reload_pending_) {
      reload_pending_ = true;
      reload_first_request_ = now;
      reload_due_ = now + kReloadSettle;
      wait_for_reload_due();
    }
    reload_due_ = std::min(now + kReloadSettle, reload_first_request_ + kReloadMaxDelay);
  }

  void wait_for_reload_due() {
    reload_timer_.expires_at(reload_due_);
    reload_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      if (std::chrono::steady_clock::now() < reload_due_) return wait_for_reload_due();
      reload_pending_ = false;
      reload();
    });
  }

  // "" when the new configuration runs, else why it was rejected.
  std::string reload() {
    notify::reloading();
    spdlog::info("reloading {}", options_.config_path);
    auto loaded = build_setup(options_.config_path, options_.cli, io_, metrics_, policy_engine_);
    std::string error = loaded.setup ? "" : loaded.diagnostics->summary();
    release_memory();
    std::unique_ptr<WebServer> new_exposer;
    if (loaded.setup && loaded.setup->config.listen != config_.listen) {
      new_exposer = open_exporter(loaded.setup->config, metrics_, error);
    }
    if (!error.empty()) {
      spdlog::error("reload failed, still running the previous configuration:\n{}", error);
      record_reload(false);
      notify::ready("reload failed, running the previous configuration; " + status_line());
      return error;
    }
    if (new_exposer) exposer_ = std::move(new_exposer);
    // New certificates, users and headers: new connections and requests use them.
    exposer_->configure(loaded.setup->config.web);
    set_log_level(loaded.setup->config.log_level);
    log_config_warnings(*loaded.diagnostics);
    apply(std::move(*loaded.setup));
    confinement_.apply(config_);  // the new sets, to every thread that exists now
    confinement_.publish(metrics_);
    record_reload(true);
    notify::ready(status_line());
    refresh_status();  // re-armed: the new collectors' first runs are due now
    spdlog::info("reloaded: {}", status_line());
    return {};
  }

  // The parsed file is gone by now, but glibc keeps what it freed mapped: a
  // 4 MiB config's YAML nodes would stay in RSS until exit.
  static void release_memory() { ::malloc_trim(0); }

  void record_reload(bool ok) {
    metrics_.gauge(names::kReloadSuccessful, "1 if the last configuration load succeeded")
        .Set(ok ? 1 : 0);
    if (ok) {
      metrics_.gauge(names::kReloadTimestamp, "Unix time of the last successful configuration load")
          .Set(unix_now());
    }
  }

  // STATUS= follows the collectors: the first runs finish after READY=1 (and
  // after every reload), so look often until none is still starting.
  void refresh_status() {
    const bool settling = scheduler_.summary().find("starting") != std::string::npos;
    status_timer_.expires_after(settling ? std::chrono::milliseconds(250)
                                         : std::chrono::milliseconds(5000));
    status_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      notify::status(status_line());
      confinement_.publish(metrics_);
      refresh_status();
    });
  }

  // Sent from the loop itself: if the loop wedges, systemd stops hearing it.
  void pet_watchdog() {
    auto interval = notify::watchdog_interval();
    if (!interval) return;
    notify::watchdog();
    watchdog_timer_.expires_after(*interval);
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) pet_watchdog();
    });
  }

  void shutdown(int signo) {
    spdlog::info("received {}, stopping", signo == SIGINT ? "SIGINT" : "SIGTERM");
    notify::stopping();
    scheduler_.stop();
    dbus_server_.reset();
    signals_.cancel();
    watchdog_timer_.cancel();
    status_timer_.cancel();
    reload_timer_.cancel();
    // The loop runs on until the BMC session is ended, whatever was in flight
    // (the owner bounds that to bmc::Bmc::kShutdownBudget): a session left
    // behind holds one of the BMC's few slots until it times out.
    stopping_ = true;
    if (bmc_) retire(std::move(bmc_));
    if (retiring_.empty()) io_.stop();
  }

  DaemonOptions options_;
  Confinement confinement_;  // first: it reads the mask before any thread exists
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer status_timer_;
  boost::asio::steady_timer reload_timer_;
  bool reload_pending_ = false;
  std::chrono::steady_clock::time_point reload_first_request_;  // of the pending reload
  std::chrono::steady_clock::time_point reload_due_;
  Metrics metrics_;
  Scheduler scheduler_;
  DaemonConfig config_;
  std::set<std::string> collector_names_;            // the running setup's
  std::shared_ptr<bmc::Bmc> bmc_;                    // the running setup's BMC owner
  std::vector<std::shared_ptr<bmc::Bmc>> retiring_;  // replaced, still ending their sessions
  bool stopping_ = false;
  std::unique_ptr<WebServer> exposer_;
  std::shared_ptr<policy::ActiveEngine> policy_engine_ = std::make_shared<policy::ActiveEngine>();
  std::unique_ptr<DbusServer> dbus_server_;
};

}  // namespace

int run_daemon(const DaemonOptions& options) {
  Daemon daemon(options);
  return daemon.run();
}

}  // namespace bmcquiet
