#include "bmc/nic_sharing.hpp"

#include <fmt/format.h>

#include "core/mac_address.hpp"

namespace bmcquiet::bmc {
namespace {

struct HostHit {
  const HostInterface* host = nullptr;
  std::uint32_t offset = 0;  // 0: the same MAC
};

std::vector<std::string> macs_of(const NicPort& p) {
  std::vector<std::string> out;
  for (const auto* m : {&p.mac, &p.permanent_mac})
    if (!m->empty() && (out.empty() || out.front() != *m)) out.push_back(*m);
  return out;
}

std::optional<HostHit> exact(const NicPort& p, const std::vector<HostInterface>& host) {
  for (const auto& mac : macs_of(p))
    for (const auto& h : host)
      if (h.address == mac || h.perm_address == mac) return HostHit{&h, 0};
  return std::nullopt;
}

std::optional<HostHit> nearest(const NicPort& p, const std::vector<HostInterface>& host) {
  std::optional<HostHit> best;
  for (const auto& mac : macs_of(p))
    for (const auto& h : host) {
      const auto& base = h.perm_address.empty() ? h.address : h.perm_address;
      const auto d = mac_distance(base, mac);
      if (d && *d <= kMaxMacOffset && (!best || *d < best->offset)) best = HostHit{&h, *d};
    }
  return best;
}

bool counts(const NicPort& p) { return p.enabled && !p.host_interface && !macs_of(p).empty(); }

NicVerdict verdict(const NicPort& p, bool shared, std::string how, std::optional<HostHit> hit) {
  NicVerdict v;
  v.shared = shared;
  v.how = std::move(how);
  v.bmc_mac = p.mac.empty() ? p.permanent_mac : p.mac;
  v.port = p.port;
  v.source = p.source;
  if (hit) {
    v.interface = hit->host->name;
    v.pci = hit->host->pci;
  }
  return v;
}

// Rule 1: the BMC's own word; a shared port wins over a dedicated one.
std::optional<NicVerdict> by_word(const std::vector<NicPort>& ports,
                                  const std::vector<HostInterface>& host) {
  const NicPort* dedicated = nullptr;
  for (const auto& p : ports) {
    if (!counts(p) || !p.shared) continue;
    if (!*p.shared) {
      if (!dedicated) dedicated = &p;
      continue;
    }
    auto hit = exact(p, host);
    if (!hit) hit = nearest(p, host);
    auto v = verdict(p, true, "vendor_setting", hit);
    v.evidence = fmt::format(
        "the BMC says its port {} is shared ({}){}", p.port, p.setting,
        hit ? fmt::format(", MAC {} next to host interface {}", v.bmc_mac, hit->host->name)
            : std::string());
    return v;
  }
  if (!dedicated) return std::nullopt;
  auto v = verdict(*dedicated, false, "vendor_setting", std::nullopt);
  v.evidence = fmt::format("the BMC says its port {} is dedicated ({})", dedicated->port,
                           dedicated->setting);
  return v;
}

std::optional<NicVerdict> by_mac(const std::vector<NicPort>& ports,
                                 const std::vector<HostInterface>& host) {
  for (const auto& p : ports)
    if (counts(p))
      if (auto hit = exact(p, host)) {
        auto v = verdict(p, true, "mac_match", hit);
        v.evidence = fmt::format("BMC MAC {} ({}) is host interface {}'s", v.bmc_mac, p.port,
                                 hit->host->name);
        return v;
      }
  for (const auto& p : ports)
    if (counts(p))
      if (auto hit = nearest(p, host)) {
        auto v = verdict(p, true, "mac_offset", hit);
        v.evidence = fmt::format(
            "BMC MAC {} ({}) is host interface {}'s permanent MAC + {} (the NC-SI shared-LOM "
            "pattern; the BMC gives no port setting to confirm)",
            v.bmc_mac, p.port, hit->host->name, hit->offset);
        return v;
      }
  return std::nullopt;
}

}  // namespace

NicVerdict decide_nic_sharing(const std::vector<NicPort>& ports,
                              const std::vector<HostInterface>& host) {
  if (auto v = by_word(ports, host)) return *v;
  const NicPort* any = nullptr;
  for (const auto& p : ports)
    if (counts(p) && !any) any = &p;
  NicVerdict unknown;
  if (!any) {
    unknown.why = "the BMC reported no MAC address of an enabled network port";
    return unknown;
  }
  if (host.empty()) {
    unknown.why =
        "no PCI network interface under <sysfs>/class/net (is the daemon in the "
        "host's network namespace?)";
    return unknown;
  }
  if (auto v = by_mac(ports, host)) return *v;
  auto v = verdict(*any, false, "no_mac_relation", std::nullopt);
  v.evidence = fmt::format("no BMC MAC ({}) is or follows a host interface's MAC", v.bmc_mac);
  return v;
}

}  // namespace bmcquiet::bmc
