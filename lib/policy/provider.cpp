#include "policy/provider.hpp"

#include <fmt/format.h>

#include "bmc/bmc.hpp"
#include "policy/fallback.hpp"
#include "policy/ipmi_items.hpp"
#include "policy/item_table.hpp"
#include "policy/redfish_discovery.hpp"

namespace bmcquiet::policy {
namespace {

// The IPMI backend of an item Redfish serves, for when Redfish refuses the write.
std::shared_ptr<ItemBackend> ipmi_equivalent(ItemId id, const IpmiClient& ipmi,
                                             const PolicySettings& s) {
  const auto factory = spec_of(id).ipmi;
  return ipmi && factory ? factory(ipmi, s) : nullptr;
}

// Every Redfish backend (standard property, or the profile's vendor switch
// where it replaced the standard one) falls back to IPMI on a refusal.
void add_fallbacks(BmcSupport& d, const IpmiClient& ipmi, const PolicySettings& s) {
  for (auto& [id, backend] : d.backends)
    backend = make_fallback(id, backend, ipmi_equivalent(id, ipmi, s));
}

// Switching the BMC's in-band interface off would cut bmcquiet's own IPMI
// transport: observing stays, every write is refused with the reason.
class InbandSelfGuard final : public ItemBackend {
 public:
  InbandSelfGuard(ItemId id, std::shared_ptr<ItemBackend> inner, std::string device)
      : inner_(std::move(inner)),
        why_(fmt::format(
            "{}: not switching the BMC's in-band IPMI interface off because bmcquiet "
            "itself talks to the BMC through it (bmc.ipmi.transport: inband, {}); set "
            "bmc.ipmi.transport to lanplus (or remove bmc.ipmi) first, or set this item to report",
            to_string(id), device)) {}
  std::string transport() const override { return inner_->transport(); }
  // A drift says up front (report mode, `check`) that enforce would not fix
  // it; enforce shows it unsupported with the reason, once, and never acts.
  void observe(std::function<void(Observation)> done) override {
    inner_->observe([why = why_, done = std::move(done)](Observation o) {
      if (o.status == Observation::Status::drifted) return done(Observation::refused(o, why));
      done(std::move(o));
    });
  }
  void act(std::function<void(ActOutcome)> done) override { done(ActOutcome::refusal(why_)); }

 private:
  std::shared_ptr<ItemBackend> inner_;
  std::string why_;
};

void guard_own_inband(BmcSupport& d, const IpmiClient& ipmi) {
  if (!ipmi || std::string_view(ipmi->transport_name()) != "inband") return;
  for (auto& [id, backend] : d.backends)
    if (spec_of(id).cuts_own_inband)
      backend = std::make_shared<InbandSelfGuard>(id, backend, ipmi->endpoint());
}

class BmcProvider final : public Provider {
 public:
  BmcProvider(std::shared_ptr<bmc::Bmc> bmc, ProviderOptions options)
      : bmc_(std::move(bmc)), options_(std::move(options)) {}

  // Redfish first; IPMI adds its manufacturer ID and serves what Redfish left.
  void discover(const PolicySettings& settings, std::function<void(BmcSupport)> done) override {
    auto redfish = bmc_->redfish();
    auto ipmi = bmc_->ipmi();
    const bool any = redfish || ipmi;
    SelItemOptions sel{settings.sel_max_fill_ratio, options_.state_dir,
                       settings.sel_archive_max_bytes, settings.sel_archive_keep, nullptr};
    auto finish = [any, done, ipmi](BmcSupport d) {
      guard_own_inband(d, ipmi);
      if (d.ok) explain_unsupported(d, any);
      done(std::move(d));
    };
    auto then_ipmi = [ipmi, settings, sel, finish](BmcSupport d) {
      add_fallbacks(d, ipmi, settings);
      if (!ipmi) return finish(std::move(d));
      complete_with_ipmi(ipmi, settings, sel, std::move(d), finish);
    };
    if (redfish) return discover_redfish(redfish, settings, sel, then_ipmi);
    BmcSupport d;
    d.ok = !ipmi;  // nothing to reach: every item is unsupported
    then_ipmi(std::move(d));
  }

 private:
  std::shared_ptr<bmc::Bmc> bmc_;
  ProviderOptions options_;
};

}  // namespace

void explain_unsupported(BmcSupport& d, bool any_transport) {
  const auto ident = identify(d.identity);
  for (auto id : kAllItems) {
    if (d.backends.count(id)) continue;
    std::string why;
    if (!any_transport)
      why = "no BMC transport is configured; set bmc.redfish or bmc.ipmi";
    else if (needs_profile(id) && !ident.profile)
      why = fmt::format("only a vendor profile can serve this item and {}", ident.reason);
    else if (const auto* oem = ident.profile ? ident.profile->oem(id) : nullptr)
      why = fmt::format("profile {} knows {}, but this BMC does not advertise it",
                        ident.profile->name, oem->where);
    else if (const auto no_switch = spec_of(id).no_switch; !no_switch.empty() && ident.profile)
      why = fmt::format(fmt::runtime(no_switch), ident.profile->name);
    else if (needs_profile(id))
      why = fmt::format("profile {} has no setting for this item", ident.profile->name);
    else
      why = "the BMC does not expose this setting over the configured transports";
    d.unsupported.emplace(id, std::move(why));
  }
}

std::shared_ptr<Provider> make_bmc_provider(std::shared_ptr<bmc::Bmc> bmc,
                                            ProviderOptions options) {
  return std::make_shared<BmcProvider>(std::move(bmc), std::move(options));
}

}  // namespace bmcquiet::policy
