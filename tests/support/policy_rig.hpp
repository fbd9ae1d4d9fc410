// The policy's Redfish side in process: one client on the rig's loop (as the
// daemon shares it between the collector and the policy), the policy's
// discovery over its model, and one item's observe/act run to completion.
#pragma once

#include <chrono>
#include <optional>

#include "policy/redfish_discovery.hpp"
#include "support/redfish_rig.hpp"

namespace bmcquiet::test {

struct PolicyRig : RedfishRig {
  std::shared_ptr<redfish::Client> client;
  policy::PolicySettings settings;

  explicit PolicyRig(const BmcSim& sim,
                     std::chrono::milliseconds log_interval = std::chrono::minutes(5)) {
    auto o = options(sim);
    o.log_interval = log_interval;
    client = redfish::Client::create(io, o, nullptr);
  }
  policy::BmcSupport discover() {
    std::optional<policy::BmcSupport> d;
    policy::SelItemOptions sel{0.75, dir.path() + "/state", 1 << 20, 2, nullptr};
    policy::discover_redfish(client, settings, sel,
                             [&](policy::BmcSupport r) { d = std::move(r); });
    run_until([&] { return d.has_value(); });
    INFO(d->error);
    REQUIRE(d->ok);
    return std::move(*d);
  }
  policy::Observation observe(const policy::BmcSupport& d, policy::ItemId id) {
    auto it = d.backends.find(id);
    REQUIRE(it != d.backends.end());
    std::optional<policy::Observation> seen;
    it->second->observe([&](policy::Observation o) { seen = std::move(o); });
    run_until([&] { return seen.has_value(); });
    INFO(seen->detail);
    return *seen;
  }
  policy::ActOutcome act(const policy::BmcSupport& d, policy::ItemId id) {
    std::optional<policy::ActOutcome> outcome;
    d.backends.at(id)->act([&](policy::ActOutcome o) { outcome = std::move(o); });
    run_until([&] { return outcome.has_value(); });
    return *outcome;
  }
};

}  // namespace bmcquiet::test
