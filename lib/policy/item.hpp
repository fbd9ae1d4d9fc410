// The seam between the policy engine and whatever serves a setting.
//
// The engine never knows which transport answers: for each item it asks a
// backend to observe, compares, asks it to act, then observes again to verify
// the write by reading it back. Backends are built per BMC by a Provider after
// the BMC has been identified, so OEM backends exist only for a matching
// vendor profile. Callbacks run on the event loop, once each.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "policy/profiles.hpp"
#include "policy/settings.hpp"

namespace bmcquiet::policy {

struct Observation {
  enum class Status { compliant, drifted, unsupported, error };
  Status status = Status::error;
  std::string current;  // what the BMC says now, e.g. "enabled", "1205 W"
  std::string desired;  // what the policy wants, e.g. "disabled", ">= 900 W or none"
  std::string detail;   // why unsupported / what failed, and what to do
  // Drifted, but a write will not be tried here (the BMC marks the setting
  // read-only, or writing it would cut bmcquiet's own transport); detail says
  // why. Enforce shows the item `unsupported` with that reason, once, instead
  // of failing and backing off on every pass; report still shows the drift.
  bool write_refused = false;

  static Observation compliant(std::string current, std::string desired) {
    return {Status::compliant, std::move(current), std::move(desired), {}};
  }
  static Observation drifted(std::string current, std::string desired) {
    return {Status::drifted, std::move(current), std::move(desired), {}};
  }
  static Observation unsupported(std::string why) {
    return {Status::unsupported, {}, {}, std::move(why)};
  }
  static Observation failed(std::string error) { return {Status::error, {}, {}, std::move(error)}; }
  static Observation refused(Observation drift, std::string why) {
    drift.detail = std::move(why);
    drift.write_refused = true;
    return drift;
  }
};

// The power_cap item on any transport: no limit (nullopt), or a limit in W
// compared with the floor (0: any limit is drift).
Observation judge_power_cap(std::optional<double> limit_watts, double floor_watts);

struct ActOutcome {
  bool ok = true;
  std::string error;  // what, where (URL/command), what to do
  // The BMC refuses this write for good (HTTP 400/403/405, or the property is
  // marked read-only): retrying cannot help, another transport might.
  bool refused = false;
  static ActOutcome success() { return {}; }
  static ActOutcome failure(std::string e) { return {false, std::move(e)}; }
  static ActOutcome refusal(std::string e) { return {false, std::move(e), true}; }
};

class ItemBackend {
 public:
  virtual ~ItemBackend() = default;
  // "redfish", "ipmi", "redfish/oem:supermicro": the audit's TRANSPORT field.
  virtual std::string transport() const = 0;
  virtual void observe(std::function<void(Observation)> done) = 0;
  // Puts the desired state back. Must be safe to repeat (the engine verifies
  // by observing again, and may retry after back-off).
  virtual void act(std::function<void(ActOutcome)> done) = 0;
};

// What a Provider found out about the BMC and which backend serves which item.
struct BmcSupport {
  bool ok = false;
  std::string error;  // when !ok: the BMC could not be reached or identified
  BmcIdentity identity;
  const Profile* profile = nullptr;  // null: no vendor profile matched
  std::map<ItemId, std::shared_ptr<ItemBackend>> backends;
  // Items without a backend and why (no transport, needs a vendor profile...).
  std::map<ItemId, std::string> unsupported;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual void discover(const PolicySettings& settings, std::function<void(BmcSupport)> done) = 0;
};

}  // namespace bmcquiet::policy
