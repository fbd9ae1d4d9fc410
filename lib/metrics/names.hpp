// Framework-level metric names in one place. Collectors keep their own
// names next to their code, all under the bmcquiet_ prefix.
#pragma once

namespace bmcquiet::names {

inline constexpr const char* kBuildInfo = "bmcquiet_build_info";
inline constexpr const char* kCollectorUp = "bmcquiet_collector_up";
inline constexpr const char* kCollectorDuration = "bmcquiet_collector_duration_seconds";
inline constexpr const char* kCollectorLastSuccess =
    "bmcquiet_collector_last_success_timestamp_seconds";
inline constexpr const char* kCollectorErrors = "bmcquiet_collector_errors_total";
inline constexpr const char* kReloadSuccessful = "bmcquiet_config_last_reload_successful";
inline constexpr const char* kReloadTimestamp =
    "bmcquiet_config_last_reload_success_timestamp_seconds";
inline constexpr const char* kDaemonCpuAllowed = "bmcquiet_daemon_cpu_allowed";
inline constexpr const char* kDaemonThreadsOnIsolated = "bmcquiet_daemon_threads_on_isolated_cpus";

// Exported by both the Redfish and the DCMI collector, told apart by `source`.
inline constexpr const char* kPowerConsumed = "bmcquiet_power_consumed_watts";
inline constexpr const char* kPowerConsumedHelp = "Whole-server power draw reported by the BMC";
inline constexpr const char* kPowerLimit = "bmcquiet_power_limit_watts";
inline constexpr const char* kPowerLimitHelp = "Whole-server power limit set on the BMC";
inline constexpr const char* kPowerLimitActive = "bmcquiet_power_limit_active";
inline constexpr const char* kPowerLimitActiveHelp =
    "1 when the BMC enforces its whole-server power limit, 0 when not";

// Exported by both the Redfish and the IPMI SEL collector: the SEL alerts and
// panels work on either. `log` names the log ("ipmi_sel" over IPMI).
inline constexpr const char* kSelEntries = "bmcquiet_sel_entries";
inline constexpr const char* kSelEntriesHelp = "Entries in the BMC's System Event Log";
inline constexpr const char* kSelCapacity = "bmcquiet_sel_capacity_entries";
inline constexpr const char* kSelCapacityHelp =
    "Capacity of the BMC's System Event Log (Redfish MaxNumberOfRecords; IPMI: entries + free "
    "bytes / 16)";
// Told apart by `source` (redfish, ipmi): the two name the same BMC differently.
inline constexpr const char* kBmcInfo = "bmcquiet_bmc_info";
inline constexpr const char* kBmcInfoHelp =
    "BMC identity (vendor, model, firmware) by source: the Redfish Manager resource or IPMI Get "
    "Device ID";
// Exported by both the Redfish and the IPMI sensor collector, with the same
// labels (chassis, sensor or fan, id) so one dashboard serves both.
inline constexpr const char* kTemperature = "bmcquiet_temperature_celsius";
inline constexpr const char* kTemperatureHelp = "Temperature reported by the BMC";
inline constexpr const char* kFanRpm = "bmcquiet_fan_speed_rpm";
inline constexpr const char* kFanRpmHelp = "Fan speed reported by the BMC";
inline constexpr const char* kFanRatio = "bmcquiet_fan_speed_ratio";
inline constexpr const char* kFanRatioHelp = "Fan speed as a fraction of its maximum";

}  // namespace bmcquiet::names
