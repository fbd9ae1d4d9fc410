#include "ctl/check_sensors.hpp"

#include <fmt/format.h>

#include "collectors/ipmi_sensors.hpp"
#include "ctl/run_until.hpp"
#include "metrics/metrics.hpp"

namespace bmcquiet::ctl {

using namespace std::chrono_literals;

void check_ipmi_sensors(boost::asio::io_context& io, Metrics& metrics, HostConfig& host,
                        Findings& findings) {
  Collector* collector = nullptr;
  for (auto& c : host.collectors)
    if (c.name == "ipmi_sensors" && c.collector) collector = c.collector.get();
  if (!collector) return;
  collector->start();
  std::optional<CollectOutcome> outcome;
  collector->collect([&outcome](CollectOutcome o) { outcome = std::move(o); });
  run_until(
      io, [&outcome] { return outcome.has_value(); }, std::chrono::steady_clock::now() + 60s);
  collector->stop();
  if (!outcome || !outcome->ok) {
    findings.add("ipmi_sensors", Severity::warning,
                 outcome ? outcome->error : "IPMI sensors: no answer within 60 s");
    return;
  }
  auto count = [&](const char* state) {
    return metrics.gauge(kIpmiSensors, kIpmiSensorsHelp, {{"state", state}}).Value();
  };
  const double read = count("read"), unavailable = count("unavailable"),
               unsupported = count("unsupported");
  const auto summary = fmt::format(
      "{:g} IPMI sensor(s) read, {:g} without a reading, {:g} not "
      "readable here (bridged or OEM conversion)",
      read, unavailable, unsupported);
  // Some sensors without a reading is normal (an empty PSU bay, a host that
  // is off); none readable at all means the sensors tell nothing.
  findings.add("ipmi_sensors", read == 0 && unavailable > 0 ? Severity::warning : Severity::ok,
               summary);
}

}  // namespace bmcquiet::ctl
