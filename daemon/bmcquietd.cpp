// bmcquietd: keeps a server's BMC quiet and reports what the platform steals.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "core/log.hpp"
#include "service/daemon.hpp"

namespace {

constexpr const char* kUsage = R"(usage: bmcquietd [options]
  --config PATH         configuration file (default /etc/bmcquiet/bmcquiet.yaml)
  --check-config        validate the configuration and exit (0 = valid)
  --listen ADDR:PORT    metrics address, overrides exporter.listen (default 127.0.0.1:19100)
  --web.config.file PATH
                        TLS and basic auth for /metrics (exporter-toolkit format),
                        overrides exporter.web_config_file
  --path.procfs PATH    procfs mount point (default /proc)
  --path.sysfs PATH     sysfs mount point (default /sys)
  --path.devfs PATH     devfs mount point (default /dev)
  --log-level LEVEL     trace, debug, info, warn or error (overrides log.level)
  --version             print the version and exit
  --help                this text
)";

// Accepts "--opt value" and "--opt=value".
bool take_value(int argc, char** argv, int& i, std::string_view name, std::string& out) {
  std::string_view arg = argv[i];
  if (arg.substr(0, name.size()) != name) return false;
  if (arg.size() > name.size() && arg[name.size()] == '=') {
    out = std::string(arg.substr(name.size() + 1));
    return true;
  }
  if (arg.size() != name.size()) return false;
  if (i + 1 >= argc) {
    std::fprintf(stderr, "bmcquietd: %s needs a value\n%s", argv[i], kUsage);
    std::exit(2);
  }
  out = argv[++i];
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bmcquiet::DaemonOptions options;
  std::string value, log_level = "info";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("bmcquietd %s (%s)\n", BMCQUIET_VERSION, BMCQUIET_REVISION);
      return 0;
    } else if (arg == "--check-config") {
      options.check_only = true;
    } else if (take_value(argc, argv, i, "--config", value)) {
      options.config_path = value;
    } else if (take_value(argc, argv, i, "--listen", value)) {
      options.cli.listen = value;
    } else if (take_value(argc, argv, i, "--web.config.file", value)) {
      options.cli.web_config_file = value;
    } else if (take_value(argc, argv, i, "--path.procfs", value)) {
      options.cli.procfs = value;
    } else if (take_value(argc, argv, i, "--path.sysfs", value)) {
      options.cli.sysfs = value;
    } else if (take_value(argc, argv, i, "--path.devfs", value)) {
      options.cli.devfs = value;
    } else if (take_value(argc, argv, i, "--log-level", value)) {
      options.cli.log_level = log_level = value;
    } else {
      std::fprintf(stderr, "bmcquietd: unknown option '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  bmcquiet::setup_logging("info");
  if (!bmcquiet::set_log_level(log_level)) {
    std::fprintf(stderr,
                 "bmcquietd: --log-level '%s' is not one of trace, debug, info, warn, error\n",
                 log_level.c_str());
    return 2;
  }
  return bmcquiet::run_daemon(options);
}
