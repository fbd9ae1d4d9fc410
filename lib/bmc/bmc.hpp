// The one owner of the daemon's BMC: the Redfish and IPMI clients that the
// top-level `bmc:` section describes, their lifecycle (build, start, session
// kept across reloads, session ended on stop), the series they write, and the
// one health state (bmcquiet_bmc_up) every consumer shares.
//
// Consumers (the redfish and dcmi collectors, the policy, `bmcquietctl
// check`) borrow it: they call borrow() when they start and use the clients
// it hands out; none of them creates, starts or shuts a client down. Whoever
// holds the setup (the daemon, check) shuts it down.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/paths.hpp"
#include "ipmi/client.hpp"
#include "redfish/client.hpp"

namespace bmcquiet {
class ConfigSection;
}

namespace bmcquiet::bmc {

// What `bmc:` asks for; each transport is absent when not configured.
struct Transports {
  std::optional<redfish::ClientOptions> redfish{};
  std::optional<ipmi::ClientConfig> ipmi{};
  // The section as written (ConfigSection::canonical): a reload that reads
  // the same text (and the same passwords) keeps the running clients.
  std::string section_text{};
};

// What the last contact with the BMC said, whichever consumer made it.
struct Contact {
  bool answered = false;
  std::string error;
  std::chrono::steady_clock::time_point at{};  // epoch: no contact yet
};

class Bmc : public std::enable_shared_from_this<Bmc> {
 public:
  // Reads `bmc:` (its redfish and ipmi subsections; problems go to the
  // section's diagnostics). Builds no client: --check-config stays free of
  // side effects, and a reload can still keep the running clients.
  static std::shared_ptr<Bmc> from_config(ConfigSection& section, boost::asio::io_context& io,
                                          Metrics& metrics, const Paths& paths);
  // metrics may be null (tests, tools): then the clients export nothing.
  static std::shared_ptr<Bmc> create(boost::asio::io_context& io, Metrics* metrics,
                                     Transports transports);
  ~Bmc();
  Bmc(const Bmc&) = delete;
  Bmc& operator=(const Bmc&) = delete;

  bool has_redfish() const { return transports_.redfish.has_value(); }
  bool has_ipmi() const { return transports_.ipmi.has_value(); }
  const Transports& transports() const { return transports_; }
  bool configured() const { return has_redfish() || has_ipmi(); }

  // --check-config: each configured transport whose password is missing,
  // empty or readable by others ("bmc.redfish: ..."); empty when all are fine.
  std::vector<std::string> secret_problems() const;
  // What an unconfigured BMC turns off and how to turn it on (start-up log,
  // --check-config); "" when a transport is configured.
  std::string not_configured_note() const;
  // bmcquiet_bmc_configured: 0 makes a node without a BMC visible (alert
  // BmcquietBmcNotConfigured) where bmcquiet_bmc_up is simply absent.
  void publish_configured(Metrics& metrics) const;

  // Reload: the owner whose clients borrow() takes over when it finds the
  // same section and passwords (same Redfish session, no new login).
  void inherit_from(std::shared_ptr<Bmc> running);
  // A consumer starts: the first call takes over the predecessor's clients or
  // builds and starts new ones (the TLS warning and client info come then).
  void borrow();
  bool borrowed() const { return borrowed_; }
  // Null before borrow() and for a transport that is not configured.
  std::shared_ptr<redfish::Client> redfish() const { return redfish_; }
  std::shared_ptr<ipmi::Client> ipmi() const { return ipmi_; }

  // The latest contact any consumer had, over either transport.
  Contact last_contact() const;
  // Sets bmcquiet_bmc_up from last_contact(); consumers call it when a run ends.
  void refresh_health();

  // Ends the Redfish session (DELETE) and closes IPMI; done runs once, within
  // kShutdownBudget whatever is in flight. The clients are gone afterwards.
  void shutdown(std::function<void()> done);
  static constexpr std::chrono::milliseconds kShutdownBudget{2000};

  // The metrics owner the clients' series are recorded under ("" before the
  // clients exist): drop it once this owner is shut down.
  const std::string& metrics_owner() const { return owner_; }

 private:
  Bmc(boost::asio::io_context& io, Metrics* metrics, Transports transports);
  bool take_over(Bmc& running);
  void build_clients();
  std::string identity() const;

  boost::asio::io_context& io_;
  Metrics* root_metrics_;
  Transports transports_;
  std::shared_ptr<Bmc> predecessor_;
  std::shared_ptr<redfish::Client> redfish_;
  std::shared_ptr<ipmi::Client> ipmi_;
  std::shared_ptr<redfish::Client> closing_redfish_;  // until its shutdown reports
  std::string owner_;
  std::string identity_;  // of the running clients: section + resolved URL + password digests
  bool borrowed_ = false;
};

}  // namespace bmcquiet::bmc
