#include "bmc/bmc.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/config_section.hpp"
#include "core/credentials.hpp"
#include "ipmi/config.hpp"
#include "metrics/metrics.hpp"

namespace bmcquiet::bmc {
namespace {

constexpr const char* kUp = "bmcquiet_bmc_up";
constexpr const char* kUpHelp =
    "1 when the last contact with the BMC got an answer (any consumer: collector poll or "
    "policy, over Redfish or IPMI)";

using Clock = std::chrono::steady_clock;

// Tells a changed password from an unchanged one without keeping it around.
std::string secret_digest(const std::string& credential, const std::string& file) {
  auto loaded = load_secret(credential, file);
  if (!loaded.secret) return "unreadable: " + loaded.error;
  return std::to_string(std::hash<std::string>{}(loaded.secret->reveal()));
}

Contact redfish_contact(const redfish::Client& client) {
  const auto health = client.health();
  if (health.at != Clock::time_point{}) return {health.answered, health.error, health.at};
  // A transport that keeps no health yet: its last poll stands for it.
  auto snapshot = client.last_snapshot();
  if (!snapshot) return {};
  const auto age = std::chrono::system_clock::now() - snapshot->taken;
  return {snapshot->up, snapshot->error,
          Clock::now() - std::chrono::duration_cast<Clock::duration>(age)};
}

Contact ipmi_contact(const ipmi::Client& client) {
  const auto last = client.last_contact();
  return {last.answered, last.error, last.at};
}

}  // namespace

Bmc::Bmc(boost::asio::io_context& io, Metrics* metrics, Transports transports)
    : io_(io), root_metrics_(metrics), transports_(std::move(transports)) {}

Bmc::~Bmc() = default;

std::shared_ptr<Bmc> Bmc::create(boost::asio::io_context& io, Metrics* metrics,
                                 Transports transports) {
  return std::shared_ptr<Bmc>(new Bmc(io, metrics, std::move(transports)));
}

std::shared_ptr<Bmc> Bmc::from_config(ConfigSection& section, boost::asio::io_context& io,
                                      Metrics& metrics, const Paths& paths) {
  Transports t;
  t.section_text = section.canonical();
  auto redfish_section = section.section("redfish");
  t.redfish = redfish::read_client_options(redfish_section, paths.sysfs);
  redfish_section.finish();
  auto ipmi_section = section.section("ipmi");
  t.ipmi = ipmi::read_client_config(ipmi_section, paths);
  ipmi_section.finish();
  section.finish();
  return create(io, &metrics, std::move(t));
}

std::vector<std::string> Bmc::secret_problems() const {
  std::vector<std::string> problems;
  if (const auto& r = transports_.redfish; r && !r->username.empty())
    if (auto p = check_secret(r->password_credential, r->password_file); !p.empty())
      problems.push_back("bmc.redfish: " + p);
  if (const auto& i = transports_.ipmi; i && i->transport == ipmi::TransportKind::lanplus)
    if (auto p = check_secret(i->password_credential, i->password_file); !p.empty())
      problems.push_back("bmc.ipmi: " + p);
  return problems;
}

std::string Bmc::not_configured_note() const {
  if (configured()) return {};
  return "no BMC configured (bmc.redfish found no url or Host Interface, bmc.ipmi.transport is "
         "none): BMC sensors, power, SEL and every policy item on the BMC are off; only the "
         "host-side collectors (SMIs, TSC gaps, interrupts) run. Set bmc.redfish.url (or "
         "bmc.ipmi.transport: inband or lanplus) in the configuration and reload";
}

void Bmc::publish_configured(Metrics& metrics) const {
  metrics
      .gauge("bmcquiet_bmc_configured",
             "1 when the configuration names a BMC transport (Redfish or IPMI), 0 when none")
      .Set(configured() ? 1 : 0);
}

void Bmc::inherit_from(std::shared_ptr<Bmc> running) { predecessor_ = std::move(running); }

void Bmc::borrow() {
  if (borrowed_) return;
  borrowed_ = true;
  auto running = std::move(predecessor_);
  if (!has_redfish() && !has_ipmi()) return;
  if (running && take_over(*running)) {
    spdlog::debug("bmc section unchanged: the running BMC clients (and session) are kept");
    return;
  }
  build_clients();
}

// The same section can name a different BMC (host interface URL) or a new
// password behind the same credential name: both need new clients.
std::string Bmc::identity() const {
  auto id = transports_.section_text;
  if (const auto& r = transports_.redfish)
    id += fmt::format("\nredfish {} {}", r->url,
                      secret_digest(r->password_credential, r->password_file));
  if (const auto& i = transports_.ipmi; i && i->transport == ipmi::TransportKind::lanplus)
    id += "\nipmi " + secret_digest(i->password_credential, i->password_file);
  return id;
}

bool Bmc::take_over(Bmc& running) {
  if (!running.redfish_ && !running.ipmi_) return false;
  auto id = identity();
  if (id != running.identity_) return false;
  redfish_ = std::move(running.redfish_);
  ipmi_ = std::move(running.ipmi_);
  owner_ = std::exchange(running.owner_, "");
  identity_ = std::move(id);
  return true;
}

void Bmc::build_clients() {
  static unsigned generation = 0;
  // A fresh owner per set of clients: the old set's series are dropped once
  // it is shut down, without touching the new set's.
  owner_ = fmt::format("bmc#{}", ++generation);
  Metrics* view = root_metrics_ ? &root_metrics_->owned_by(owner_) : nullptr;
  identity_ = identity();
  if (transports_.redfish) {
    redfish_ = redfish::Client::create(io_, *transports_.redfish, view);
    redfish_->start();
  }
  if (transports_.ipmi) ipmi_ = ipmi::Client::create(io_, *transports_.ipmi, view);
}

Contact Bmc::last_contact() const {
  Contact latest;
  if (redfish_) latest = redfish_contact(*redfish_);
  if (ipmi_) {
    auto other = ipmi_contact(*ipmi_);
    if (other.at > latest.at) latest = std::move(other);
  }
  return latest;
}

void Bmc::refresh_health() {
  if (!root_metrics_ || owner_.empty()) return;
  const auto contact = last_contact();
  if (contact.at == Clock::time_point{}) return;  // never asked: unknown, not down
  root_metrics_->owned_by(owner_).gauge(kUp, kUpHelp).Set(contact.answered ? 1 : 0);
}

void Bmc::shutdown(std::function<void()> done) {
  auto once = std::make_shared<std::function<void()>>(std::move(done));
  auto finish = [once] {
    if (auto f = std::exchange(*once, nullptr)) f();
  };
  borrowed_ = false;
  predecessor_.reset();
  if (auto ipmi = std::exchange(ipmi_, nullptr)) ipmi->close();
  auto redfish = std::exchange(redfish_, nullptr);
  if (!redfish) return boost::asio::post(io_, finish);
  auto timer = std::make_shared<boost::asio::steady_timer>(io_);
  // Kept alive until it reports: dropping it now would end the session from
  // its destructor, synchronously, on the loop.
  closing_redfish_ = redfish;
  redfish->shutdown([weak = weak_from_this(), timer, finish] {
    timer->cancel();
    // Released from the loop, not inside the client's own handler (it still
    // runs on the client), and queued before whatever done() queues.
    if (auto self = weak.lock())
      boost::asio::post(self->io_, [keep = std::move(self->closing_redfish_)] {});
    finish();
  });
  // Armed after the client's own budget began, so a client that keeps it
  // reports before this guard gives up on it.
  timer->expires_after(kShutdownBudget);
  timer->async_wait([finish](boost::system::error_code) { finish(); });
}

}  // namespace bmcquiet::bmc
