// Turns a config file into a DaemonSetup: the validated daemon settings plus every
// enabled collector, built but not started. Reload builds a whole new DaemonSetup
// before touching the running one, so a bad file changes nothing.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/collector.hpp"
#include "core/config_section.hpp"
#include "core/paths.hpp"
#include "platform/cpu_topology.hpp"
#include "service/web_config.hpp"

namespace bmcquiet {

// Outside the Prometheus wiki's exporter allocations (9100-10100) and below the
// Linux ephemeral range, so it never collides with a node's other exporters.
inline constexpr const char* kDefaultListen = "127.0.0.1:19100";

struct DaemonConfig {
  std::string file;
  std::string listen = kDefaultListen;
  WebConfig web;  // web.file empty: plain HTTP, no authentication
  Paths paths;
  std::string log_level = "info";
  CpuSelection cpus;
};

// Command-line settings; they win over the file and survive reloads.
struct CliOverrides {
  std::optional<std::string> listen, web_config_file, procfs, sysfs, devfs, log_level;
};

struct DaemonSetup {
  DaemonConfig config;
  std::shared_ptr<bmc::Bmc> bmc;  // never null; no client exists until a consumer borrows it
  std::vector<ScheduledCollector> collectors;
};

struct SetupResult {
  std::optional<DaemonSetup> setup;  // set when diagnostics are clean
  std::shared_ptr<ConfigDiagnostics> diagnostics;
};

// What a program other than the daemon needs from the file (bmcquietctl
// check): the settings and the BMC's owner. Every collector section is still
// validated, so a typo is an error here as in the daemon; no collector is kept.
struct HostConfig {
  DaemonConfig config;
  std::shared_ptr<bmc::Bmc> bmc;  // never null
  // The collectors the daemon would run, built but not started: check runs
  // one of them once (ipmi_sensors) or asks whether one would run (ipmi_sel).
  std::vector<ScheduledCollector> collectors;
};
struct HostConfigResult {
  std::optional<HostConfig> host;  // set when diagnostics are clean
  std::shared_ptr<ConfigDiagnostics> diagnostics;
};
HostConfigResult read_host_config(std::string_view text, const std::string& file,
                                  boost::asio::io_context& io, Metrics& metrics);

SetupResult build_setup_from_text(std::string_view text, const std::string& file,
                                  const CliOverrides& cli, boost::asio::io_context& io,
                                  Metrics& metrics,
                                  std::shared_ptr<policy::ActiveEngine> active_engine = nullptr);
SetupResult build_setup(const std::string& file, const CliOverrides& cli,
                        boost::asio::io_context& io, Metrics& metrics,
                        std::shared_ptr<policy::ActiveEngine> active_engine = nullptr);

// "host:port" with a numeric port, or "[v6]:port"; empty string when valid.
// Port 0 (any free port) only where any_port.
std::string validate_listen_address(const std::string& address, bool any_port = false);
// Logs what the file allows but is likely wrong, with file:line.
void log_config_warnings(const ConfigDiagnostics& diagnostics);

}  // namespace bmcquiet
