#include "collectors/bmc_nic.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bmc/bmc.hpp"
#include "ipmi/lan_mac.hpp"
#include "metrics/metrics.hpp"
#include "redfish/bmc_nic.hpp"

namespace bmcquiet {
namespace {

constexpr const char* kShared = "bmcquiet_bmc_nic_shared";
constexpr const char* kSharedHelp =
    "1 when the BMC shares a host NIC (NC-SI / shared LOM), 0 when its port is its own; absent "
    "when it cannot be told (see bmcquiet_bmc_nic_info)";
constexpr const char* kInfo = "bmcquiet_bmc_nic_info";
constexpr const char* kInfoHelp =
    "How bmcquiet_bmc_nic_shared was decided: how (vendor_setting, mac_match, mac_offset, "
    "no_mac_relation), the host interface and PCI device shared, the BMC port and its MAC";

bmc::NicPort from_redfish(const redfish::BmcPort& p) {
  bmc::NicPort n;
  n.source = "redfish";
  n.port = fmt::format("Managers/{}/EthernetInterfaces/{}", p.manager, p.id);
  n.mac = p.mac;
  n.permanent_mac = p.permanent_mac;
  n.enabled = p.enabled;
  n.host_interface = p.host_interface;
  if (p.word) {
    n.shared = p.word->shared;
    n.setting = p.word->setting;
  }
  return n;
}

// Both transports asked at once; the verdict when the last one answers.
struct Look : std::enable_shared_from_this<Look> {
  std::string sysfs;
  PermAddressReader perm;
  std::function<void(NicLook)> done;
  std::vector<bmc::NicPort> ports;
  NicLook out;
  int pending = 1;

  void one_done() {
    if (--pending > 0) return;
    const auto host = host_interfaces(sysfs, perm);
    out.verdict = bmc::decide_nic_sharing(ports, host);
    done(std::move(out));
  }

  void ask(const std::shared_ptr<redfish::Client>& client) {
    ++pending;
    redfish::read_bmc_ports(client, [self = shared_from_this()](redfish::BmcPorts r) {
      if (!r.error.empty()) self->out.errors.push_back("Redfish: " + r.error);
      if (!r.ports.empty()) self->out.bmc_answered = true;
      for (const auto& p : r.ports) self->ports.push_back(from_redfish(p));
      self->one_done();
    });
  }

  void ask(const std::shared_ptr<ipmi::Client>& client, std::vector<std::uint8_t> channels) {
    ++pending;
    ipmi::read_lan_macs(
        client,
        [self = shared_from_this()](auto r) {
          if (!r.ok()) self->out.errors.push_back("IPMI: " + r.error.message);
          for (const auto& m : r.value.value_or(std::vector<ipmi::LanMac>{})) {
            self->out.bmc_answered = true;
            bmc::NicPort n;
            n.source = "ipmi";
            n.port = fmt::format("LAN channel {}", m.channel);
            n.mac = m.mac;
            self->ports.push_back(std::move(n));
            self->out.lan_channels.push_back(m.channel);
          }
          self->one_done();
        },
        std::move(channels));
  }
};

class BmcNicCollector final : public Collector {
 public:
  BmcNicCollector(const CollectorEnv& env, PermAddressReader perm)
      : metrics_(env.metrics), bmc_(env.bmc), sysfs_(env.paths.sysfs), perm_(std::move(perm)) {}

  void start() override { bmc_->borrow(); }

  void collect(CollectDone done) override {
    look_at_bmc_nic(
        bmc_, sysfs_, perm_,
        [this, alive = std::weak_ptr<bool>(alive_), done = std::move(done)](NicLook l) {
          if (!alive.lock()) return;
          if (!l.lan_channels.empty()) lan_channels_ = l.lan_channels;
          publish(l.verdict);
          bmc_->refresh_health();
          if (l.bmc_answered || l.errors.empty()) return done(CollectOutcome::success());
          done(CollectOutcome::failure(
              fmt::format("cannot read the BMC's network ports: {}", fmt::join(l.errors, "; ")),
              ProblemKind::unavailable));
        },
        lan_channels_);
  }

  void stop() override { alive_.reset(); }

 private:
  void publish(const bmc::NicVerdict& v) {
    if (!info_.empty()) metrics_.remove_gauge(kInfo, info_);
    info_.clear();
    if (!v.shared) return metrics_.remove_gauge(kShared, {});
    metrics_.gauge(kShared, kSharedHelp).Set(*v.shared ? 1 : 0);
    info_ = {{"how", v.how},         {"interface", v.interface}, {"pci", v.pci},
             {"bmc_mac", v.bmc_mac}, {"port", v.port},           {"source", v.source}};
    metrics_.set_info(kInfo, kInfoHelp, info_);
  }

  Metrics& metrics_;
  std::shared_ptr<bmc::Bmc> bmc_;
  std::string sysfs_;
  PermAddressReader perm_;
  Labels info_;
  std::vector<std::uint8_t> lan_channels_;  // found once, then only their MACs are read
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

void look_at_bmc_nic(const std::shared_ptr<bmc::Bmc>& bmc, const std::string& sysfs,
                     PermAddressReader perm, std::function<void(NicLook)> done,
                     std::vector<std::uint8_t> lan_channels) {
  auto look = std::make_shared<Look>();
  look->sysfs = sysfs;
  look->perm = std::move(perm);
  look->done = std::move(done);
  if (auto r = bmc->redfish()) look->ask(r);
  if (auto i = bmc->ipmi()) look->ask(i, std::move(lan_channels));
  look->one_done();
}

std::unique_ptr<Collector> make_bmc_nic_collector_with(const CollectorEnv& env,
                                                       PermAddressReader perm) {
  if (!env.bmc || !env.bmc->configured()) return nullptr;  // nothing to compare with
  return std::make_unique<BmcNicCollector>(env, std::move(perm));
}

std::unique_ptr<Collector> make_bmc_nic_collector(const CollectorEnv& env, ConfigSection&) {
  return make_bmc_nic_collector_with(env, ethtool_perm_address);
}

}  // namespace bmcquiet
