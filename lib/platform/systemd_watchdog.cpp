// systemd's runtime watchdog, for watchdog_petters.hpp. The bus first: it
// says what PID 1 runs now, drop-ins and the kernel command line included;
// the files are the fallback where there is no system bus (containers, early
// boot) and cannot see systemd.watchdog_sec= on the command line.
#include <systemd/sd-bus.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>
#include <system_error>

#include "core/files.hpp"
#include "platform/watchdog_petters.hpp"

namespace bmcquiet {
namespace {

namespace fs = std::filesystem;

constexpr double kHardwareDefault = std::numeric_limits<double>::infinity();

// systemd.time(7) spans as RuntimeWatchdogSec= takes them: "30s", "10min",
// "1h 30min", a bare number of seconds, "off"/"0", "default"/"infinity".
std::optional<double> parse_span(std::string text) {
  text.erase(
      std::remove_if(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); }),
      text.end());
  if (text == "off") return 0.0;
  if (text == "default" || text == "infinity") return kHardwareDefault;
  static const std::pair<const char*, double> kUnits[] = {
      {"usec", 1e-6}, {"us", 1e-6},    {"msec", 1e-3},  {"ms", 1e-3},    {"seconds", 1},
      {"second", 1},  {"sec", 1},      {"s", 1},        {"minutes", 60}, {"minute", 60},
      {"min", 60},    {"m", 60},       {"hours", 3600}, {"hour", 3600},  {"hr", 3600},
      {"h", 3600},    {"days", 86400}, {"d", 86400},    {"w", 604800}};
  double total = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text.substr(at), &used);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    at += used;
    double unit = 1;
    for (const auto& [name, factor] : kUnits)
      if (text.compare(at, std::strlen(name), name) == 0) {
        unit = factor;
        at += std::strlen(name);
        break;
      }
    total += value * unit;
  }
  return total;
}

void read_conf(const std::string& file, SystemdWatchdog& out) {
  const auto text = read_small_file(file, 1024 * 1024);
  if (!text) return;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || line[0] == ';' || eq == std::string::npos) continue;
    const auto key = line.substr(0, eq);
    const auto value = line.substr(eq + 1);
    if (key == "RuntimeWatchdogSec") {
      if (auto s = parse_span(value)) out.runtime_seconds = s, out.source = "system.conf";
    } else if (key == "WatchdogDevice" && !value.empty()) {
      out.device = value;
    }
  }
}

std::optional<SystemdWatchdog> from_bus() {
  sd_bus* bus = nullptr;
  if (sd_bus_open_system(&bus) < 0) return std::nullopt;
  sd_bus_set_method_call_timeout(bus, 1'000'000);
  std::uint64_t usec = 0;
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C99 compound literal
  const int r = sd_bus_get_property_trivial(
      bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
      "org.freedesktop.systemd1.Manager", "RuntimeWatchdogUSec", &error, 't', &usec);
  sd_bus_error_free(&error);
  std::optional<SystemdWatchdog> out;
  if (r >= 0) {
    out.emplace();
    out->source = "dbus";
    out->runtime_seconds = usec == UINT64_MAX ? kHardwareDefault : double(usec) / 1e6;
    char* device = nullptr;  // systemd >= 250; older ones use /dev/watchdog0 (then /dev/watchdog)
    if (sd_bus_get_property_string(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                   "org.freedesktop.systemd1.Manager", "WatchdogDevice", &error,
                                   &device) >= 0 &&
        device && *device)
      out->device = device;
    free(device);
    sd_bus_error_free(&error);
  }
  sd_bus_flush_close_unref(bus);
  return out;
}

}  // namespace

SystemdWatchdog systemd_watchdog_from_files(const std::string& etc_systemd) {
  SystemdWatchdog out;
  read_conf(etc_systemd + "/system.conf", out);
  std::vector<std::string> dropins;
  std::error_code ec;
  for (fs::directory_iterator it(etc_systemd + "/system.conf.d", ec), end; !ec && it != end;
       it.increment(ec))
    if (it->path().extension() == ".conf") dropins.push_back(it->path().string());
  std::sort(dropins.begin(), dropins.end());
  for (const auto& f : dropins) read_conf(f, out);
  if (!out.runtime_seconds && fs::exists(etc_systemd + "/system.conf", ec)) {
    out.runtime_seconds = 0.0;  // systemd's default is off
    out.source = "system.conf";
  }
  return out;
}

SystemdWatchdog read_systemd_watchdog(const std::string& etc_systemd) {
  if (auto bus = from_bus()) return *bus;
  return systemd_watchdog_from_files(etc_systemd);
}

}  // namespace bmcquiet
