#include "service/setup.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmc/bmc.hpp"
#include "collectors/registry.hpp"
#include "core/files.hpp"
#include "metrics/metrics.hpp"

namespace bmcquiet {
namespace {

using namespace std::chrono_literals;

// A real config is a few KiB; YAML's memory and time grow with the text, and a
// reload parses it on the loop that serves /metrics.
constexpr std::size_t kMaxConfigBytes = 4 * 1024 * 1024;

std::optional<CpuSet> read_cpu_override(ConfigSection& cpus, std::string_view key) {
  auto text = cpus.get_string(key, "auto");
  if (text == "auto") return std::nullopt;
  auto set = parse_cpu_list(text);
  if (!set || set->empty()) {
    cpus.error(key, fmt::format("'{}' is not a CPU list; write 'auto' or a kernel cpulist "
                                "such as 0-3,8 (CPU ids 0 to {}, the kernel's limit)",
                                text, kMaxCpuId));
    return std::nullopt;
  }
  return set;
}

// The web config's own problems keep their file:line; the key (or flag) that
// names the file is where a missing file is reported.
void read_web_config(ConfigSection& exporter, const CliOverrides& cli, DaemonConfig& config) {
  auto file =
      cli.web_config_file ? cli.web_config_file : exporter.get_optional_string("web_config_file");
  if (!file || file->empty()) return;
  // A relative path in the config file is beside it; on the command line, from the cwd.
  if (!cli.web_config_file && file->front() != '/') {
    auto main = exporter.diagnostics()->file();
    auto slash = main.rfind('/');
    if (slash != std::string::npos) *file = main.substr(0, slash + 1) + *file;
  }
  auto web_diag = std::make_shared<ConfigDiagnostics>(*file);
  config.web = load_web_config(*file, web_diag);
  for (const auto& issue : web_diag->issues()) {
    if (issue.line > 0) {
      exporter.diagnostics()->add_issue(issue);
    } else if (cli.web_config_file) {
      exporter.diagnostics()->add(0, 0, "--web.config.file", *file + ": " + issue.message);
    } else {
      exporter.error("web_config_file", *file + ": " + issue.message);
    }
  }
}

void read_daemon_keys(ConfigSection& root, const CliOverrides& cli, DaemonConfig& config) {
  auto exporter = root.section("exporter");
  config.listen = cli.listen.value_or(exporter.get_string("listen", kDefaultListen));
  // Port 0 (any free port, reported in the READY status) only from the
  // command line, for tests and tools: Prometheus could not find it.
  if (auto problem = validate_listen_address(config.listen, cli.listen.has_value());
      !problem.empty()) {
    if (cli.listen) {
      root.diagnostics()->add(0, 0, "--listen", problem);
    } else {
      exporter.error("listen", problem);
    }
  }
  read_web_config(exporter, cli, config);
  exporter.finish();

  auto paths = root.section("paths");
  config.paths.procfs = cli.procfs.value_or(paths.get_string("procfs", "/proc"));
  config.paths.sysfs = cli.sysfs.value_or(paths.get_string("sysfs", "/sys"));
  config.paths.devfs = cli.devfs.value_or(paths.get_string("devfs", "/dev"));
  config.paths.state = paths.get_string("state", "/var/lib/bmcquiet");
  paths.finish();

  auto log = root.section("log");
  config.log_level = log.get_enum("level", "info", {"trace", "debug", "info", "warn", "error"});
  if (cli.log_level) config.log_level = *cli.log_level;
  log.finish();

  auto cpus = root.section("cpus");
  config.cpus.isolated = read_cpu_override(cpus, "isolated");
  config.cpus.housekeeping = read_cpu_override(cpus, "housekeeping");
  cpus.finish();
}

// Legal, but the scheduler would mark the collector down whenever the peer is
// slow: a run still going when the next is due counts as a failure.
void warn_interval_below_deadline(ConfigSection& section, std::string_view collector,
                                  std::chrono::nanoseconds interval, const bmc::Bmc& bmc) {
  std::chrono::nanoseconds deadline{};
  std::string what;
  const auto& t = bmc.transports();
  if (collector == "redfish" && t.redfish) {
    deadline = t.redfish->poll_deadline;
    what = "bmc.redfish.poll_deadline";
  } else if ((collector == "dcmi" || collector == "ipmi_sel") && t.ipmi) {
    deadline = t.ipmi->timeout * (t.ipmi->retries + 1);
    what = "bmc.ipmi.timeout x (retries + 1)";
  }
  if (interval >= deadline) return;
  section.warn("interval",
               fmt::format("{} is shorter than {} ({}): a slow BMC's run outlasts the interval "
                           "and the collector is marked down; raise the interval or lower that "
                           "deadline",
                           format_duration(interval), what, format_duration(deadline)));
}

void read_collectors(ConfigSection& root, const CollectorEnv& env, DaemonSetup& setup) {
  auto all = root.section("collectors");
  for (const auto& factory : collector_factories()) {
    auto section = all.section(factory.name);
    const bool enabled = section.get_bool("enabled", factory.enabled_by_default);
    const auto interval =
        section.get_duration("interval", factory.default_interval, 10ms, std::chrono::hours(24));
    // Disabled sections are validated too: a typo there must not wait for the day
    // someone enables it.
    // Its own metrics view: a reload that disables it drops what it exported.
    CollectorEnv own{env.io,    env.metrics.owned_by(std::string(factory.name)),
                     env.paths, env.cpus,
                     env.bmc,   env.active_engine};
    auto collector = factory.make(own, section);
    if (enabled && collector && env.bmc)
      warn_interval_below_deadline(section, factory.name, interval, *env.bmc);
    section.finish();
    if (enabled && collector)
      setup.collectors.push_back({std::string(factory.name), interval, std::move(collector)});
  }
  all.finish();
}

}  // namespace

std::string validate_listen_address(const std::string& address, bool any_port) {
  auto colon = address.rfind(':');
  const std::string hint = "write HOST:PORT, e.g. 127.0.0.1:19100 or [::1]:19100";
  if (colon == std::string::npos || colon == 0) return fmt::format("'{}': {}", address, hint);
  auto port = address.substr(colon + 1);
  const int lowest = any_port ? 0 : 1;
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != port.npos ||
      std::stoi(port) > 65535 || std::stoi(port) < lowest)
    return fmt::format("'{}' has no valid port ({}-65535): {}", address, lowest, hint);
  return {};
}

void log_config_warnings(const ConfigDiagnostics& diagnostics) {
  for (const auto& warning : diagnostics.warnings()) spdlog::warn("config: {}", warning.str());
}

SetupResult build_setup_from_text(std::string_view text, const std::string& file,
                                  const CliOverrides& cli, boost::asio::io_context& io,
                                  Metrics& metrics,
                                  std::shared_ptr<policy::ActiveEngine> active_engine) {
  auto diag = std::make_shared<ConfigDiagnostics>(file);
  auto root = ConfigSection::parse(text, diag);
  DaemonSetup setup;
  setup.config.file = file;
  read_daemon_keys(root, cli, setup.config);
  // The BMC's transports (bmc.redfish, bmc.ipmi) go to their owner; its
  // clients come when a consumer borrows it.
  auto bmc_section = root.section("bmc");
  setup.bmc = bmc::Bmc::from_config(bmc_section, io, metrics, setup.config.paths);
  CollectorEnv env{
      io, metrics, setup.config.paths, setup.config.cpus, setup.bmc, std::move(active_engine)};
  read_collectors(root, env, setup);
  root.finish();
  SetupResult result;
  result.diagnostics = diag;
  if (diag->ok()) result.setup = std::move(setup);
  return result;
}

HostConfigResult read_host_config(std::string_view text, const std::string& file,
                                  boost::asio::io_context& io, Metrics& metrics) {
  auto built = build_setup_from_text(text, file, {}, io, metrics);
  HostConfigResult result{std::nullopt, built.diagnostics};
  // Collectors are built without side effects (collector.hpp): check starts
  // at most one of them.
  if (built.setup)
    result.host = HostConfig{built.setup->config, std::move(built.setup->bmc),
                             std::move(built.setup->collectors)};
  return result;
}

SetupResult build_setup(const std::string& file, const CliOverrides& cli,
                        boost::asio::io_context& io, Metrics& metrics,
                        std::shared_ptr<policy::ActiveEngine> active_engine) {
  auto read = read_regular_file(file, kMaxConfigBytes);
  if (!read.text) {
    SetupResult result;
    result.diagnostics = std::make_shared<ConfigDiagnostics>(file);
    result.diagnostics->add(
        0, 0, "",
        read.refused
            ? fmt::format("refusing the config file: {}", read.error)
            : fmt::format("cannot read the config file ({}); pass --config PATH or install the "
                          "default from config/bmcquiet.yaml",
                          read.error));
    return result;
  }
  return build_setup_from_text(*read.text, file, cli, io, metrics, std::move(active_engine));
}

}  // namespace bmcquiet
