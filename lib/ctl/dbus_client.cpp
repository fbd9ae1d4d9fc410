// status, plan, apply, pause, resume, reload: a running bmcquietd's policy
// over D-Bus (org.bmcquiet.Daemon1 on the system bus, or the bus in
// DBUS_SYSTEM_BUS_ADDRESS). The client of service/dbus_server.cpp.
#include "ctl/command.hpp"

#include <systemd/sd-bus.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include <fmt/format.h>

#include "core/config_section.hpp"
#include "core/files.hpp"
#include "core/paths.hpp"
#include "core/problem.hpp"
#include "ctl/policy_table.hpp"
#include "policy/pause.hpp"
#include "service/dbus_names.hpp"

namespace bmcquiet::ctl {
namespace {

// One method call on the daemon; the reply's string (if any) or an error.
struct Reply {
  bool ok = false;
  bool no_daemon = false;                   // no bus, or nobody owns the daemon's name on it
  std::string text;                         // the "s" result, or ""
  std::string error;                        // what failed and what to do
  ProblemKind kind = ProblemKind::unknown;  // of error: the exit code
};

ProblemKind kind_of(const sd_bus_error& e, bool absent) {
  const std::string name = e.name ? e.name : "";
  if (absent) return ProblemKind::unavailable;
  if (name == SD_BUS_ERROR_ACCESS_DENIED) return ProblemKind::denied;
  if (name == dbus::kErrorNoPolicy) return ProblemKind::disabled;
  if (name == dbus::kErrorConfig) return ProblemKind::config;
  return ProblemKind::unknown;
}

bool daemon_absent(const sd_bus_error& e, int r) {
  const std::string name = e.name ? e.name : "";
  return name == SD_BUS_ERROR_SERVICE_UNKNOWN || name == SD_BUS_ERROR_NAME_HAS_NO_OWNER ||
         r == -ENOENT || r == -ECONNREFUSED || r == -ENOTCONN;
}

std::string explain(const sd_bus_error& e, int r) {
  const std::string name = e.name ? e.name : "";
  const std::string message = e.message ? e.message : std::strerror(-r);
  if (name == SD_BUS_ERROR_ACCESS_DENIED)
    return fmt::format("{} (only root may change the policy: run with sudo)", message);
  if (name == SD_BUS_ERROR_SERVICE_UNKNOWN || name == SD_BUS_ERROR_NAME_HAS_NO_OWNER)
    return fmt::format(
        "bmcquietd is not running or not on the system bus ({}); check "
        "`systemctl status bmcquiet`",
        message);
  return message;
}

template <typename... Args>
Reply call(const char* method, const char* reply_type, const char* signature, Args... args) {
  Reply out;
  sd_bus* bus = nullptr;
  if (int r = sd_bus_open_system(&bus); r < 0) {
    out.error = fmt::format("cannot connect to the system bus: {}", std::strerror(-r));
    out.no_daemon = true;
    out.kind = ProblemKind::unavailable;
    return out;
  }
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C99 compound literal
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(bus, dbus::kService, dbus::kPath, dbus::kInterface, method, &error,
                             &reply, signature, args...);
  if (r < 0) {
    out.error = explain(error, r);
    out.no_daemon = daemon_absent(error, r);
    out.kind = kind_of(error, out.no_daemon);
  } else {
    out.ok = true;
    const char* s = nullptr;
    if (*reply_type && sd_bus_message_read(reply, "s", &s) >= 0 && s) out.text = s;
  }
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
  sd_bus_flush_close_unref(bus);
  return out;
}

int fail(const char* command, const std::string& error, ProblemKind kind = ProblemKind::unknown) {
  std::fprintf(stderr, "bmcquietctl %s: %s\n", command, error.c_str());
  return exit_code(kind);
}

int fail(const char* command, const Reply& reply) { return fail(command, reply.error, reply.kind); }

// status, plan, apply: JSON with --json, else the table.
int show(const char* command, const char* method, bool json,
         std::string (*render)(const std::string&)) {
  auto reply = call(method, "s", "");
  if (!reply.ok) return fail(command, reply);
  auto table = json ? "" : render(reply.text);
  std::fputs(table.empty() ? (reply.text + "\n").c_str() : table.c_str(), stdout);
  return 0;
}

// Without a bus, pause and resume write the pause file the daemon reads
// before every write and at every pass (and logs when it sees it change).
std::string state_dir(const std::string& config) {
  auto text = read_regular_file(config, 4 * 1024 * 1024).text.value_or("");
  auto diag = std::make_shared<ConfigDiagnostics>(config);
  auto root = ConfigSection::parse(text, diag);
  return root.section("paths").get_string("state", Paths{}.state);
}

int without_bus(const char* command, const Reply& reply, const std::string& config,
                const std::function<std::string(const std::string&)>& write) {
  const auto dir = state_dir(config.empty() ? kDefaultConfigPath : config);
  if (auto error = write(dir); !error.empty())
    return fail(command,
                fmt::format("{}; and writing the pause file failed too: {}", reply.error, error));
  std::printf(
      "%s: the daemon is not reachable over D-Bus (%s); %s %s instead: bmcquietd reads it "
      "before every write and at every pass, and logs the change\n",
      command, reply.error.c_str(), std::strcmp(command, "pause") == 0 ? "wrote" : "removed",
      policy::pause_file(dir).c_str());
  return 0;
}

}  // namespace

int run_status(bool json) { return show("status", "Status", json, &render_status); }
int run_plan(bool json) { return show("plan", "Plan", json, &render_plan); }
int run_apply(bool json) { return show("apply", "Apply", json, &render_status); }

int run_pause(const PauseOptions& o) {
  std::uint64_t seconds = 0;
  if (o.duration != "indefinite") {
    // The config's parser: days allowed, overflow and trailing junk are errors.
    auto d = parse_duration(o.duration);
    if (!d || d->count() <= 0) {
      std::fprintf(stderr,
                   "bmcquietctl pause: '%s' is not a duration (a number with a unit: s, m, h, d; "
                   "at most 292 years) nor `indefinite`\n",
                   o.duration.c_str());
      return 2;
    }
    seconds = std::uint64_t(std::chrono::ceil<std::chrono::seconds>(*d).count());
  }
  const std::string reason = fmt::format("{}", fmt::join(o.reason, " "));
  auto reply = call("Pause", "", "ts", seconds, reason.c_str());
  if (!reply.ok && reply.no_daemon)
    return without_bus("pause", reply, o.config, [&](const std::string& dir) {
      // The daemon's own limit for a D-Bus Pause: a forgotten pause ends.
      constexpr std::uint64_t kMaxPauseSeconds = 30ull * 24 * 3600;
      if (seconds > kMaxPauseSeconds)
        return fmt::format(
            "a pause of {} s is longer than the {} s allowed; pause again when it "
            "ends",
            seconds, kMaxPauseSeconds);
      policy::PauseRecord record{policy::unix_now(), 0, reason};
      if (seconds) record.until_unix = record.since_unix + double(seconds);
      return policy::save_pause(dir, record);
    });
  if (!reply.ok) return fail("pause", reply);
  std::printf("paused %s: %s\n",
              seconds ? fmt::format("for {} s", seconds).c_str() : "until resumed", reason.c_str());
  return 0;
}

int run_resume(const std::string& config) {
  auto reply = call("Resume", "", "");
  if (!reply.ok && reply.no_daemon)
    return without_bus("resume", reply, config,
                       [](const std::string& dir) { return policy::clear_pause(dir); });
  if (!reply.ok) return fail("resume", reply);
  std::puts("resumed: the policy enforces again");
  return 0;
}

int run_reload() {
  auto reply = call("Reload", "", "");
  if (!reply.ok) return fail("reload", reply);
  std::puts("reloaded the configuration");
  return 0;
}

}  // namespace bmcquiet::ctl
