#include "collectors/ipmi_sensors.hpp"

#include <optional>
#include <regex>
#include <vector>

#include <fmt/format.h>

#include "bmc/bmc.hpp"
#include "core/log.hpp"
#include "ipmi/client.hpp"
#include "ipmi/problem.hpp"
#include "ipmi/sdr_reader.hpp"
#include "metrics/names.hpp"
#include "metrics/series_set.hpp"

namespace bmcquiet {
namespace {

namespace sdr = ipmi::sdr;

constexpr const char* kPowerSensor = "bmcquiet_power_sensor_watts";
constexpr const char* kPowerSensorHelp =
    "Power reported by one BMC sensor (a PSU's input or output, a CPU, the system): see its "
    "name; not summed, not the whole-server draw (bmcquiet_power_consumed_watts)";
constexpr const char* kVoltage = "bmcquiet_voltage_volts";
constexpr const char* kVoltageHelp = "Voltage reported by one BMC sensor (a rail, a battery)";
constexpr const char* kCurrent = "bmcquiet_current_amperes";
constexpr const char* kCurrentHelp = "Current reported by one BMC sensor";
constexpr const char* kSensors = kIpmiSensors;
constexpr const char* kSensorsHelp = kIpmiSensorsHelp;
constexpr const char* kRecords = "bmcquiet_ipmi_sdr_records";
constexpr const char* kWalks = "bmcquiet_ipmi_sdr_reads_total";
constexpr const char* kRequests = "bmcquiet_ipmi_sensor_requests";
constexpr std::size_t kMaxSeries = 2048;  // one BMC has at most 255 sensors per LUN and owner

}  // namespace

bool ipmi_sensor_exported(const sdr::SensorRecord& s) {
  if (!s.threshold() || s.modifier_use || s.rate_unit) return false;
  switch (s.base_unit) {
    case sdr::kUnitCelsius:
    case sdr::kUnitFahrenheit:
    case sdr::kUnitKelvin:
    case sdr::kUnitRpm:
    case sdr::kUnitWatts:
    case sdr::kUnitVolts:
    case sdr::kUnitAmps:
      return true;
    default:
      return s.sensor_type == sdr::kTypeFan && s.percentage;
  }
}

std::string ipmi_sensor_unsupported(const sdr::SensorRecord& s) {
  if (s.owner_id != sdr::kBmcAddress || s.owner_lun)
    return fmt::format("owned by controller 0x{:02x} LUN {}: reading it needs bridging", s.owner_id,
                       s.owner_lun);
  if (s.format == sdr::AnalogFormat::none) return "its record gives no analog data format";
  if (s.linearization >= 0x70)
    return fmt::format(
        "OEM non-linear conversion (linearization 0x{:02x}) needs Get Sensor "
        "Reading Factors for each reading: not supported",
        s.linearization);
  if (s.linearization > 0x0B)
    return fmt::format("reserved linearization 0x{:02x}", s.linearization);
  return {};
}

namespace {

class IpmiSensorsCollector final : public Collector {
 public:
  IpmiSensorsCollector(const CollectorEnv& env, std::optional<std::regex> exclude)
      : metrics_(env.metrics), bmc_(env.bmc), exclude_(std::move(exclude)) {}

  void start() override {
    bmc_->borrow();
    client_ = bmc_->ipmi();
    reader_ = std::make_unique<ipmi::SdrReader>(client_);
    series_.emplace(metrics_, kMaxSeries);
  }

  void collect(CollectDone done) override {
    done = [bmc = bmc_, done = std::move(done)](CollectOutcome outcome) {
      bmc->refresh_health();
      done(std::move(outcome));
    };
    requests_before_ = reader_->stats().requests;
    reader_->refresh([this, alive = std::weak_ptr<bool>(alive_), done = std::move(done)](
                         ipmi::Result<std::shared_ptr<const ipmi::SdrRepository>> repo) mutable {
      if (!alive.lock()) return;
      if (!repo.ok()) return fail(repo.error, std::move(done));
      note_walk(**repo.value);
      auto wanted = plan(**repo.value);
      readings_ = wanted.size();
      ipmi::read_sensors(client_, std::move(wanted),
                         [this, alive, done = std::move(done)](
                             ipmi::Result<std::vector<ipmi::SensorValue>> values) mutable {
                           if (!alive.lock()) return;
                           if (!values.ok()) return fail(values.error, std::move(done));
                           publish(*values.value, std::move(done));
                         });
    });
  }

  void stop() override { alive_.reset(); }

 private:
  std::vector<sdr::SensorRecord> plan(const ipmi::SdrRepository& repo) {
    std::vector<sdr::SensorRecord> wanted;
    unsupported_ = 0;
    for (const auto& s : repo.sensors) {
      if (!ipmi_sensor_exported(s)) continue;
      if (exclude_ && std::regex_search(s.name, *exclude_)) continue;
      if (!ipmi_sensor_unsupported(s).empty()) {
        ++unsupported_;
        continue;
      }
      wanted.push_back(s);
    }
    return wanted;
  }

  void publish(const std::vector<ipmi::SensorValue>& planned, CollectDone done) {
    std::size_t read = 0;
    for (const auto& p : planned) {
      if (!p.value) continue;
      auto series = ipmi_sensor_series(p.record, *p.value);
      if (!series) continue;
      series_->listed(series->metric, series->help, series->labels, series->value);
      ++read;
    }
    series_->set(kSensors, kSensorsHelp, {{"state", "read"}}, double(read));
    series_->set(kSensors, kSensorsHelp, {{"state", "unavailable"}}, double(planned.size() - read));
    series_->set(kSensors, kSensorsHelp, {{"state", "unsupported"}}, double(unsupported_));
    series_->set(kRecords, "Records in the BMC's SDR repository (Get SDR Repository Info)", {},
                 double(records_));
    series_->set(kRequests,
                 "IPMI requests the last sensor collection made (repository info, SDR reads "
                 "when it changed, one reading per sensor)",
                 {}, double(reader_->stats().requests - requests_before_ + readings_));
    series_->sweep();
    done(CollectOutcome::success());
  }

  void fail(const ipmi::Error& error, CollectDone done) {
    series_->sweep();  // nothing set: every reading disappears instead of freezing
    done(CollectOutcome::failure("IPMI sensors: " + error.message, ipmi::problem_kind(error)));
  }

  // Counted and logged once per walk, not once per collection.
  void note_walk(const ipmi::SdrRepository& repo) {
    records_ = repo.info.records;
    const auto walks = reader_->stats().walks;
    if (walks == walks_seen_) return;
    metrics_
        .counter(kWalks, "Whole reads of the BMC's SDR repository (at start and when it changed)",
                 {})
        .Increment(double(walks - walks_seen_));
    walks_seen_ = walks;
    for (const auto& p : repo.problems)
      log_event(spdlog::level::warn, "BMC: an SDR record cannot be decoded; its sensor is skipped",
                {{"ENDPOINT", client_->endpoint()}, {"PROBLEM", p}});
    for (const auto& s : repo.sensors)
      if (ipmi_sensor_exported(s))
        if (auto why = ipmi_sensor_unsupported(s); !why.empty())
          log_event(spdlog::level::info, "BMC: an IPMI sensor is not exported",
                    {{"ENDPOINT", client_->endpoint()},
                     {"SENSOR", s.name},
                     {"ID", s.id()},
                     {"WHY", why}});
  }

  Metrics& metrics_;
  std::shared_ptr<bmc::Bmc> bmc_;
  std::optional<std::regex> exclude_;
  std::shared_ptr<ipmi::Client> client_;
  std::unique_ptr<ipmi::SdrReader> reader_;
  std::optional<SeriesSet> series_;
  std::uint64_t requests_before_ = 0, walks_seen_ = 0;
  std::size_t readings_ = 0, unsupported_ = 0, records_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::optional<IpmiSensorSeries> ipmi_sensor_series(const sdr::SensorRecord& s, double value) {
  if (!ipmi_sensor_exported(s)) return std::nullopt;
  const std::string chassis = sdr::entity_name(s.entity_id, s.entity_instance);
  const Labels sensor{{"chassis", chassis}, {"sensor", s.name}, {"id", s.id()}};
  switch (s.base_unit) {
    case sdr::kUnitCelsius:
      return IpmiSensorSeries{names::kTemperature, names::kTemperatureHelp, sensor, value};
    case sdr::kUnitFahrenheit:
      return IpmiSensorSeries{names::kTemperature, names::kTemperatureHelp, sensor,
                              (value - 32.0) * 5.0 / 9.0};
    case sdr::kUnitKelvin:
      return IpmiSensorSeries{names::kTemperature, names::kTemperatureHelp, sensor, value - 273.15};
    case sdr::kUnitWatts:
      return IpmiSensorSeries{kPowerSensor, kPowerSensorHelp, sensor, value};
    case sdr::kUnitVolts:
      return IpmiSensorSeries{kVoltage, kVoltageHelp, sensor, value};
    case sdr::kUnitAmps:
      return IpmiSensorSeries{kCurrent, kCurrentHelp, sensor, value};
    default:
      break;
  }
  const Labels fan{{"chassis", chassis}, {"fan", s.name}, {"id", s.id()}};
  if (s.base_unit == sdr::kUnitRpm)
    return IpmiSensorSeries{names::kFanRpm, names::kFanRpmHelp, fan, value};
  return IpmiSensorSeries{names::kFanRatio, names::kFanRatioHelp, fan, value / 100.0};
}

std::unique_ptr<Collector> make_ipmi_sensors_collector(const CollectorEnv& env,
                                                       ConfigSection& section) {
  const bool inband = section.get_bool("inband", false);
  const bool with_redfish = section.get_bool("with_redfish", false);
  std::optional<std::regex> exclude;
  if (auto pattern = section.get_string("exclude", ""); !pattern.empty()) {
    try {
      exclude.emplace(pattern, std::regex::ECMAScript | std::regex::nosubs);
    } catch (const std::regex_error& e) {
      section.error("exclude", fmt::format("not a regular expression ({}): {}", e.what(), pattern));
    }
  }
  if (!env.bmc || !env.bmc->has_ipmi()) return nullptr;  // bmc.ipmi.transport: none
  if (env.bmc->has_redfish() && !with_redfish)
    return nullptr;  // the Redfish collector exports the same series: no second load on the BMC
  if (env.bmc->transports().ipmi->transport == ipmi::TransportKind::inband && !inband)
    return nullptr;  // every in-band request may raise an SMI: only when asked
  return std::make_unique<IpmiSensorsCollector>(env, std::move(exclude));
}

}  // namespace bmcquiet
