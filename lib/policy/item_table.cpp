#include "policy/item_table.hpp"

#include <stdexcept>

#include "core/config_section.hpp"
#include "policy/ipmi_items.hpp"

namespace bmcquiet::policy {
namespace {

using namespace std::chrono_literals;
using On = StandardProperty::On;

std::chrono::seconds whole_seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d);
}

void read_sel(ConfigSection& item, PolicySettings& s) {
  s.sel_max_fill_ratio = item.get_double("max_fill_ratio", s.sel_max_fill_ratio, 0.05, 1.0);
  s.sel_archive_max_bytes = static_cast<std::uint64_t>(
      item.get_int("archive_max_bytes", std::int64_t(s.sel_archive_max_bytes), 64 * 1024,
                   std::int64_t(1) << 34));
  s.sel_archive_keep = int(item.get_int("archive_keep", s.sel_archive_keep, 1, 1000));
}

void read_watchdog(ConfigSection& item, PolicySettings& s) {
  s.watchdog_min_timeout =
      whole_seconds(item.get_duration("min_timeout", s.watchdog_min_timeout, 0s, 24h));
}

void read_power_cap(ConfigSection& item, PolicySettings& s) {
  s.power_floor_watts = item.get_double("floor_watts", s.power_floor_watts, 0, 100000);
}

// FunctionEnabled off is the fix only when the watchdog must be off; with a
// minimum timeout a running watchdog is extended (redfish_watchdog.cpp, IPMI).
bool watchdog_must_be_off(const PolicySettings& s) { return s.watchdog_min_timeout.count() == 0; }

std::shared_ptr<ItemBackend> ipmi_sol(const IpmiClient& c, const PolicySettings&) {
  return make_ipmi_sol(c);
}
std::shared_ptr<ItemBackend> ipmi_watchdog(const IpmiClient& c, const PolicySettings& s) {
  return make_ipmi_watchdog(c, s.watchdog_min_timeout);
}
std::shared_ptr<ItemBackend> ipmi_power_cap(const IpmiClient& c, const PolicySettings& s) {
  return make_ipmi_power_cap(c, s.power_floor_watts);
}

std::vector<ItemSpec> make_table() {
  std::vector<ItemSpec> t = {
      // SOL is the system's IPMI serial console; older services only expose
      // the manager's serial console service (IPMI and SSH to the host's port).
      {.id = ItemId::sol,
       .name = "sol",
       .standard = {{On::systems, {"SerialConsole", "IPMI", "ServiceEnabled"}, "false"},
                    {On::manager, {"SerialConsole", "ServiceEnabled"}, "false"}},
       .oem_switch = "ipmi_sol",
       .ipmi = ipmi_sol},
      // Every inserted slot of every Manager and System ejected through its
      // advertised EjectMedia action (redfish_items.cpp).
      {.id = ItemId::virtual_media, .name = "virtual_media"},
      // Archived, then cleared past max_fill_ratio: Redfish LogService
      // ClearLog (redfish_sel.cpp) or IPMI Clear SEL with a reservation
      // (ipmi_items.cpp, added by complete_with_ipmi: it needs the archive).
      {.id = ItemId::sel, .name = "sel", .read_parameters = read_sel},
      {.id = ItemId::watchdog,
       .name = "watchdog",
       .read_parameters = read_watchdog,
       .standard = {{On::systems, {"HostWatchdogTimer", "FunctionEnabled"}, "false"}},
       .property_applies = watchdog_must_be_off,
       .oem_switch = "watchdog",
       .ipmi = ipmi_watchdog},
      // The server chassis' Control or legacy PowerControl, gated by the
      // vendor's enable switch (redfish_power_control.cpp); DCMI over IPMI.
      {.id = ItemId::power_cap,
       .name = "power_cap",
       .read_parameters = read_power_cap,
       .oem_switch = "power_cap",
       .ipmi = ipmi_power_cap},
      {.id = ItemId::fans, .name = "fans", .oem_switch = "fans", .needs_profile = true},
      {.id = ItemId::kvm,
       .name = "kvm",
       .standard = {{On::manager, {"GraphicalConsole", "ServiceEnabled"}, "false"}},
       .oem_switch = "kvm"},
      {.id = ItemId::sensor_polling,
       .name = "sensor_polling",
       .oem_switch = "sensor_polling",
       .needs_profile = true},
      {.id = ItemId::firmware_auto_update,
       .name = "firmware_auto_update",
       .oem_switch = "firmware_auto_update",
       .needs_profile = true},
      {.id = ItemId::inband_ipmi,
       .name = "inband_ipmi",
       .oem_switch = "inband_ipmi",
       .needs_profile = true,
       .no_switch = "no documented Redfish switch for the in-band IPMI (KCS) host interface is "
                    "known for profile {} (its IPMI-over-LAN setting is the network channel, not "
                    "KCS); check the vendor's documentation",
       .cuts_own_inband = true},
  };
  for (std::size_t i = 0; i < t.size(); ++i)
    if (t[i].id != ItemId(i)) throw std::logic_error("policy item table out of ItemId order");
  if (t.size() != kItemCount) throw std::logic_error("policy item table misses an item");
  return t;
}

}  // namespace

const std::vector<ItemSpec>& item_specs() {
  static const std::vector<ItemSpec> table = make_table();
  return table;
}

const ItemSpec& spec_of(ItemId id) { return item_specs()[static_cast<std::size_t>(id)]; }

std::optional<ItemId> item_for_oem_switch(std::string_view setting) {
  for (const auto& spec : item_specs())
    if (!spec.oem_switch.empty() && spec.oem_switch == setting) return spec.id;
  return std::nullopt;
}

}  // namespace bmcquiet::policy
