#include "collectors/redfish.hpp"

#include <malloc.h>

#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "bmc/bmc.hpp"
#include "core/log.hpp"
#include "metrics/metrics.hpp"
#include "metrics/names.hpp"
#include "metrics/series_set.hpp"
#include "redfish/client.hpp"

namespace bmcquiet {
namespace {

constexpr const char* kTemperature = names::kTemperature;
constexpr const char* kFanRpm = names::kFanRpm;
constexpr const char* kFanRatio = names::kFanRatio;
constexpr const char* kPower = names::kPowerConsumed;
constexpr const char* kLimit = names::kPowerLimit;
constexpr const char* kLimitRatio = "bmcquiet_power_limit_ratio";
constexpr const char* kLimitActive = names::kPowerLimitActive;
constexpr const char* kSelEntries = names::kSelEntries;
constexpr const char* kSelCapacity = names::kSelCapacity;
constexpr const char* kLogEntries = "bmcquiet_log_entries";
constexpr const char* kLogCapacity = "bmcquiet_log_capacity_entries";
constexpr const char* kChassisPower = "bmcquiet_chassis_power_watts";
constexpr const char* kDeviceLimit = "bmcquiet_device_power_limit_watts";
constexpr const char* kOemOverride = "bmcquiet_bmc_oem_override_info";
constexpr const char* kMediaInserted = "bmcquiet_virtual_media_inserted";
constexpr const char* kMediaConnected = "bmcquiet_virtual_media_connected";
constexpr const char* kConsole = "bmcquiet_bmc_serial_console_enabled";
constexpr const char* kIpmi = "bmcquiet_bmc_ipmi_enabled";
constexpr const char* kWatchdog = "bmcquiet_host_watchdog_enabled";
constexpr const char* kWatchdogResets = "bmcquiet_host_watchdog_resets_host";
constexpr const char* kPollRequests = "bmcquiet_redfish_poll_requests";

constexpr const char* kDropped = "bmcquiet_redfish_series_dropped_total";

// Off, or an action that spares the host: 0. Enabled without a stated action: unknown.
std::optional<bool> resets_host(const redfish::Snapshot& s) {
  if (!s.watchdog_enabled) return std::nullopt;
  if (!*s.watchdog_enabled) return false;
  if (!s.watchdog_action) return std::nullopt;
  return *s.watchdog_action != "None";
}

class RedfishCollector final : public Collector {
 public:
  explicit RedfishCollector(const CollectorEnv& env) : metrics_(env.metrics), bmc_(env.bmc) {}

  // The client belongs to the BMC's owner: borrowed here, never shut down here.
  void start() override {
    bmc_->borrow();
    client_ = bmc_->redfish();
    series_.emplace(metrics_, client_->options().max_series);
  }

  void collect(CollectDone done) override {
    client_->poll([alive = std::weak_ptr<bool>(alive_), this,
                   done = std::move(done)](std::shared_ptr<const redfish::Snapshot> snap) {
      if (!alive.lock()) return;  // stopped meanwhile
      publish(*snap);
      bmc_->refresh_health();
      done(snap->up ? CollectOutcome::success()
                    : CollectOutcome::failure(snap->error, snap->error_kind));
    });
  }

  void stop() override { alive_.reset(); }

 private:
  void publish(const redfish::Snapshot& s) {
    if (s.vendor || s.model || s.firmware)
      metrics_.set_info(names::kBmcInfo, names::kBmcInfoHelp,
                        {{"source", "redfish"},
                         {"vendor", s.vendor.value_or("")},
                         {"model", s.model.value_or("")},
                         {"firmware", s.firmware.value_or("")}},
                        "source");
    if (s.up) publish_readings(s);
    report_dropped(series_->sweep());  // down: every reading disappears instead of freezing
  }

  // Counted every poll; logged once when the cap starts to bite and once
  // when it stops, not at every poll.
  void report_dropped(const std::map<std::string, std::size_t>& dropped) {
    std::size_t total = 0;
    std::string which;
    for (const auto& [name, count] : dropped) {
      metrics_
          .counter(kDropped,
                   "Series a BMC's lists (sensors, fans, chassis, logs, media) would have "
                   "made beyond bmc.redfish.max_series, not exported, by metric",
                   {{"metric", name}})
          .Increment(double(count));
      total += count;
      which += fmt::format("{}{} ({})", which.empty() ? "" : ", ", name, count);
    }
    const auto max = client_->options().max_series;
    if (total && !capped_)
      log_event(spdlog::level::warn,
                fmt::format("BMC: {} series over bmc.redfish.max_series ({}) are not exported; "
                            "raise bmc.redfish.max_series to export them",
                            total, max),
                {{"URL", client_->options().url}, {"DROPPED", which}});
    if (!total && capped_)
      log_event(spdlog::level::info, "BMC: its series fit under bmc.redfish.max_series again",
                {{"URL", client_->options().url}});
    capped_ = total > 0;
    // Such a BMC's bodies are megabytes per poll: hand what their parse
    // freed back to the kernel instead of keeping it mapped until exit.
    if (capped_) ::malloc_trim(0);
  }

  void publish_readings(const redfish::Snapshot& s) {
    publish_thermal(s);
    publish_power(s);
    publish_logs(s);
    for (const auto& m : s.media) {
      series_->listed(kMediaInserted, "1 when virtual media is inserted", {{"media", m.id}},
                      m.inserted);
      series_->listed(kMediaConnected, "1 when virtual media is connected", {{"media", m.id}},
                      m.connected);
    }
    series_->set(kConsole, "1 when a BMC serial console is enabled", {{"interface", "manager"}},
                 s.serial_console_enabled);
    series_->set(kConsole, "1 when a BMC serial console is enabled", {{"interface", "ipmi_sol"}},
                 s.ipmi_sol_enabled);
    series_->set(kIpmi, "1 when IPMI over LAN is enabled on the BMC", {}, s.ipmi_enabled);
    series_->set(kWatchdog, "1 when the BMC's host watchdog is enabled", {}, s.watchdog_enabled);
    // With the watchdog collector's petters: alert BmcQuietWatchdogPetterAtRisk on Redfish-only
    // BMCs.
    series_->set(kWatchdogResets,
                 "1 when the BMC's host watchdog is enabled with a TimeoutAction other than None",
                 {}, resets_host(s));
    series_->set(kPollRequests, "HTTP requests the last Redfish poll made", {}, double(s.requests));
    publish_disagreements(s);
  }

  // Labelled by the sensor's Name as the BMC shows it; the Id keeps two
  // sensors of the same Name apart.
  void publish_thermal(const redfish::Snapshot& s) {
    for (const auto& t : s.temperatures)
      series_->listed(kTemperature, names::kTemperatureHelp,
                      {{"chassis", t.chassis}, {"sensor", t.name}, {"id", t.id}}, t.value);
    for (const auto& f : s.fans) {
      const Labels l{{"chassis", f.chassis}, {"fan", f.name}, {"id", f.id}};
      if (f.rpm) series_->listed(kFanRpm, names::kFanRpmHelp, l, *f.rpm);
      if (f.ratio) series_->listed(kFanRatio, names::kFanRatioHelp, l, *f.ratio);
    }
  }

  void publish_power(const redfish::Snapshot& s) {
    const Labels src{{"source", "redfish"}};
    if (s.power_consumed_watts)
      series_->set(kPower, names::kPowerConsumedHelp, src, *s.power_consumed_watts);
    // Active from the effective limit: the vendor's switch decides (a Dell
    // with PowerCapSetting Disabled shows a LimitInWatts it does not enforce).
    if (s.power_limit.known)
      series_->set(kLimitActive, names::kPowerLimitActiveHelp, src,
                   s.power_limit.watts.has_value() || s.power_limit.ratio.has_value());
    if (s.power_limit.watts)
      series_->set(kLimit, names::kPowerLimitHelp, src, *s.power_limit.watts);
    if (s.power_limit.ratio)
      series_->set(kLimitRatio, "Power limit as a fraction, where the BMC sets it in percent", src,
                   *s.power_limit.ratio);
    for (const auto& p : s.chassis_power)
      series_->listed(kChassisPower,
                      "Power drawn by one chassis or device (GPU, CPU module, PSUs' input, the "
                      "server's chassis), by its role in the BMC's model",
                      {{"chassis", p.chassis}, {"role", p.role}}, p.watts);
    for (const auto& d : s.device_limits)
      if (d.watts && d.enabled)
        series_->listed(kDeviceLimit, "Power limit of one device or chassis, not the whole server",
                        {{"chassis", d.chassis}, {"role", d.role}}, *d.watts);
  }

  // Only the SEL feeds bmcquiet_sel_*: a full diagnostic or maintenance log
  // is no reason to page about the SEL.
  void publish_logs(const redfish::Snapshot& s) {
    for (const auto& log : s.logs) {
      const Labels l{{"log", log.id}, {"kind", log.kind}};
      if (log.entries)
        series_->listed(kLogEntries,
                        "Entries in a BMC log service, by kind (sel, event, diagnostic, "
                        "other)",
                        l, *log.entries);
      if (log.capacity)
        series_->listed(kLogCapacity, "Capacity of a BMC log service (MaxNumberOfRecords)", l,
                        *log.capacity);
      if (log.kind != "sel") continue;
      if (log.entries)
        series_->listed(kSelEntries, names::kSelEntriesHelp, {{"log", log.id}}, *log.entries);
      if (log.capacity)
        series_->listed(kSelCapacity, names::kSelCapacityHelp, {{"log", log.id}}, *log.capacity);
    }
  }

  // Where the vendor's switch overrode the standard property: shown as long
  // as it lasts, logged once when it appears.
  void publish_disagreements(const redfish::Snapshot& s) {
    std::set<Labels> now;
    for (const auto& d : s.disagreements) {
      Labels l{
          {"setting", d.setting}, {"standard", d.standard}, {"oem", d.oem}, {"source", d.source}};
      series_->listed(kOemOverride,
                      "1 where the BMC vendor's OEM switch decides a setting and the standard "
                      "Redfish property says otherwise",
                      l, 1.0);
      if (!logged_disagreements_.count(l))
        log_event(spdlog::level::warn,
                  "BMC: the vendor's OEM switch overrides the standard Redfish property; "
                  "bmcquiet follows the OEM switch",
                  {{"SETTING", d.setting},
                   {"STANDARD", d.standard},
                   {"OEM", d.oem},
                   {"SOURCE", d.source}});
      now.insert(std::move(l));
    }
    logged_disagreements_ = std::move(now);
  }

  Metrics& metrics_;
  std::shared_ptr<bmc::Bmc> bmc_;
  std::shared_ptr<redfish::Client> client_;
  std::optional<SeriesSet> series_;  // capped by the client's max_series, from start()
  bool capped_ = false;
  std::set<Labels> logged_disagreements_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<Collector> make_redfish_collector(const CollectorEnv& env, ConfigSection&) {
  if (!env.bmc || !env.bmc->has_redfish()) return nullptr;  // bmc.redfish not configured
  return std::make_unique<RedfishCollector>(env);
}

}  // namespace bmcquiet
