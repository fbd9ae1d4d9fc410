// The quiet-BMC policy as configured: one item per mitigation, each with a
// mode and its parameters. Pure data, parsed from collectors.policy.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/config_section.hpp"

namespace bmcquiet::policy {

enum class Mode { off, report, enforce };

// One per mitigation of the seed article, in a fixed order (metric label
// values and table rows follow it). Each has its row in item_table.cpp.
enum class ItemId {
  sol,
  virtual_media,
  sel,
  watchdog,
  power_cap,
  fans,
  kvm,
  sensor_polling,
  firmware_auto_update,
  inband_ipmi,  // the BMC's in-band IPMI host interface (KCS/BT/SSIF)
};
inline constexpr std::size_t kItemCount = std::size_t(ItemId::inband_ipmi) + 1;  // the last one
inline constexpr std::array<ItemId, kItemCount> kAllItems = [] {
  std::array<ItemId, kItemCount> all{};
  for (std::size_t i = 0; i < kItemCount; ++i) all[i] = ItemId(i);
  return all;
}();

std::string_view to_string(ItemId id);  // config key and `setting` label
std::string_view to_string(Mode mode);
std::optional<ItemId> item_from_string(std::string_view name);

struct PolicySettings {
  std::array<Mode, kItemCount> modes{};  // indexed by ItemId; default report
  // sel: archive then clear once the log is fuller than this.
  double sel_max_fill_ratio = 0.75;
  // watchdog: 0 = must be off; otherwise, if it runs, its timeout is at least
  // this long with the host's action (extended, never stopped).
  std::chrono::seconds watchdog_min_timeout{0};
  // power_cap: disabled, or a limit at least this high (0 = must be disabled).
  double power_floor_watts = 0;
  // Flap guard: more than max_drifts drifts within window → stop enforcing.
  int flap_max_drifts = 3;
  std::chrono::nanoseconds flap_window = std::chrono::hours(1);
  // Back-off after a failed re-apply: doubles from initial up to max.
  std::chrono::nanoseconds backoff_initial = std::chrono::minutes(1);
  std::chrono::nanoseconds backoff_max = std::chrono::hours(1);
  // SEL archive rotation.
  std::uint64_t sel_archive_max_bytes = 16 * 1024 * 1024;
  int sel_archive_keep = 4;

  Mode mode(ItemId id) const { return modes[static_cast<std::size_t>(id)]; }
  void set_mode(ItemId id, Mode m) { modes[static_cast<std::size_t>(id)] = m; }
};

// Reads the policy collector's own keys (the framework has taken `enabled`
// and `interval`, the reconcile period).
PolicySettings read_policy_settings(ConfigSection& section);

}  // namespace bmcquiet::policy
