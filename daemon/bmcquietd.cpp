// bmcquietd: keeps a server's BMC quiet and reports what the platform steals.
#include <string>

#include "cli_help.hpp"
#include "core/log.hpp"
#include "service/daemon.hpp"

int main(int argc, char** argv) {
  bmcquiet::DaemonOptions options;
  CLI::App app{
      "bmcquietd: watches and quiets the server's BMC (SMIs, Redfish, IPMI/DCMI, policy "
      "writes) and exports Prometheus metrics. Runs under systemd (Type=notify); "
      "SIGHUP reloads the configuration.",
      "bmcquietd"};
  app.set_version_flag(
      "--version", std::string("bmcquietd ") + BMCQUIET_VERSION + " (" + BMCQUIET_REVISION + ")");
  app.add_option("--config", options.config_path, "configuration file")
      ->type_name("PATH")
      ->capture_default_str();
  app.add_flag(
      "--check-config", options.check_only,
      "validate the configuration (and the files it names) and exit: 0 valid, 2 not, 1 when a "
      "needed BMC password is missing, empty or readable by others");
  auto& cli = options.cli;
  app.add_option("--listen", cli.listen,
                 "metrics address, overrides exporter.listen (default 127.0.0.1:19100)")
      ->type_name("ADDR:PORT");
  app.add_option("--web.config.file", cli.web_config_file,
                 "TLS and basic auth for /metrics (exporter-toolkit format), overrides "
                 "exporter.web_config_file")
      ->type_name("PATH");
  app.add_option("--path.procfs", cli.procfs, "procfs mount point (default /proc)")
      ->type_name("PATH");
  app.add_option("--path.sysfs", cli.sysfs, "sysfs mount point (default /sys)")->type_name("PATH");
  app.add_option("--path.devfs", cli.devfs, "devfs mount point (default /dev)")->type_name("PATH");
  app.add_option("--log-level", cli.log_level,
                 "trace, debug, info, warn or error; overrides log.level (default info)")
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}).description(""));
  app.footer(
      "Exit status: 0 after a clean stop (SIGTERM) or a valid --check-config; 2 for a usage "
      "error or an invalid configuration (file:line and what to do on stderr); 1 when serving "
      "fails.");
  if (bmcquiet::cli::help_dump(app, argc, argv)) return 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return bmcquiet::cli::finish(app, e, 2);
  }
  bmcquiet::setup_logging("info");
  bmcquiet::set_log_level(cli.log_level.value_or("info"));
  return bmcquiet::run_daemon(options);
}
