// bmcquietctl: one-shot tools and control of a running bmcquietd.
#include <functional>
#include <string>

#include "cli_help.hpp"
#include "core/log.hpp"
#include "ctl/command.hpp"

namespace {

using namespace bmcquiet::ctl;

constexpr const char* kCheckFooter =
    "Read-only: samples SMIs and TSC gaps on one housekeeping CPU, reads the BMC settings the "
    "policy covers and shows what the policy would change; nothing is written. Thresholds and "
    "severities are the shipped alert rules'.\n"
    "Exit status (monitoring-plugin convention): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (usage "
    "error, unreadable configuration, BMC unreachable, a setting that cannot be read). With "
    "several findings the worst counts, in the order CRITICAL, UNKNOWN, WARNING, OK.";

constexpr const char* kPauseFooter =
    "DURATION is a number with a unit (30m, 2h, 1d; at most 30 days) or `indefinite` (until "
    "`bmcquietctl resume`). The policy keeps observing and reporting but writes nothing to the "
    "BMC. Without a system bus the pause goes to <paths.state>/policy-pause.json, which the "
    "daemon reads before every write.";

constexpr const char* kDetectFooter =
    "Reads the TSC in a tight loop on CPU N for W ms of every P ms and reports every gap above "
    "T us with its cause (smi, preempt, irq, unknown). --json prints one object per line: "
    "{\"type\":\"window\",...} per window and {\"type\":\"gap\",...} per gap, times in "
    "CLOCK_MONOTONIC nanoseconds.";

struct Parsed {
  std::function<int()> run;
};

CLI::App* command(CLI::App& app, Parsed& parsed, const char* name, const char* summary,
                  std::function<int()> run) {
  auto* sub = app.add_subcommand(name, summary);
  sub->callback([&parsed, run] { parsed.run = run; });
  return sub;
}

void add_config(CLI::App* sub, std::string& config) {
  sub->add_option("--config", config, "configuration file (default /etc/bmcquiet/bmcquiet.yaml)")
      ->type_name("PATH");
}

void add_check(CLI::App& app, Parsed& p, CheckOptions& o) {
  auto* sub =
      command(app, p, "check", "one-shot read-only report: SMIs, TSC gaps, BMC policy drift",
              [&o] { return run_check(o); });
  add_config(sub, o.config);
  sub->add_option("--sample", o.sample_seconds, "seconds of SMI and TSC-gap sampling, 0.1 to 60")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.1, 60.0).description(""))
      ->capture_default_str();
  sub->add_option("--cpu", o.cpu, "CPU to sample (default: the first housekeeping CPU)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber.description(""));
  sub->add_flag("--json", o.json,
                "one JSON object: severity, every finding with its reason, "
                "platform, policy, plan");
  sub->footer(kCheckFooter);
}

void add_show(CLI::App& app, Parsed& p, bool& json, const char* name, const char* summary,
              int (*run)(bool)) {
  auto* sub = command(app, p, name, summary, [&json, run] { return run(json); });
  sub->add_flag("--json", json, "the daemon's JSON instead of the table");
}

void add_pause(CLI::App& app, Parsed& p, PauseOptions& o, std::string& resume_config) {
  auto* pause = command(app, p, "pause", "pause policy writes for a maintenance window (root)",
                        [&o] { return run_pause(o); });
  add_config(pause, o.config);
  pause->add_option("duration", o.duration, "30m, 2h, 1d... or `indefinite`")
      ->type_name("DURATION")
      ->required();
  pause->add_option("reason", o.reason, "why (shown by status, logged)")
      ->type_name("REASON")
      ->required();
  pause->footer(kPauseFooter);
  auto* resume = command(app, p, "resume", "end a maintenance pause (root)",
                         [&resume_config] { return run_resume(resume_config); });
  add_config(resume, resume_config);
}

void add_detect(CLI::App& app, Parsed& p, DetectOptions& o) {
  auto* sub = command(app, p, "detect", "measure TSC gaps (stolen time) on one CPU, like oslat",
                      [&o] { return run_detect(o); });
  // Bounded so that every conversion to nanoseconds stays in range.
  const auto number = CLI::Range(0.0, 1e6).description("");
  sub->add_option("--cpu", o.cpu, "CPU to measure")->type_name("N")->required()->check(number);
  sub->add_option("--duration", o.duration_seconds, "how long to measure")
      ->type_name("SECONDS")
      ->required()
      ->check(number);
  sub->add_option("--threshold-us", o.threshold_us, "smallest gap reported, in us")
      ->type_name("T")
      ->check(number)
      ->capture_default_str();
  sub->add_option("--width-ms", o.width_ms, "measuring window, ms")
      ->type_name("W")
      ->check(number)
      ->capture_default_str();
  sub->add_option("--period-ms", o.period_ms, "one window every P ms")
      ->type_name("P")
      ->check(number)
      ->capture_default_str();
  sub->add_option("--fifo", o.fifo_priority, "run the loop SCHED_FIFO at this priority (1 to 99)")
      ->type_name("PRIORITY")
      ->check(CLI::Range(1, 99).description(""));
  sub->add_option("--path.procfs", o.procfs, "procfs mount point")
      ->type_name("DIR")
      ->capture_default_str();
  sub->add_flag("--json", o.json, "one JSON object per window and per gap");
  sub->footer(kDetectFooter);
}

// An option (--help, --version) or a command's name.
bool known(const CLI::App& app, const std::string& first) {
  if (first.rfind('-', 0) == 0) return true;
  return !app.get_subcommands([&](const CLI::App* s) { return s->get_name() == first; }).empty();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bmcquietctl: one-shot checks of the platform and the BMC, and control of a "
      "running bmcquietd over D-Bus.",
      "bmcquietctl"};
  app.set_version_flag(
      "--version", std::string("bmcquietctl ") + BMCQUIET_VERSION + " (" + BMCQUIET_REVISION + ")");
  app.require_subcommand(1);
  Parsed parsed;
  CheckOptions check;
  DetectOptions detect;
  PauseOptions pause;
  std::string resume_config;
  bool status_json = false, plan_json = false, apply_json = false;
  add_check(app, parsed, check);
  add_show(app, parsed, status_json, "status",
           "the running daemon's policy: BMC, profile, pause, every setting", &run_status);
  add_show(app, parsed, plan_json, "plan", "what the policy would change on the BMC now",
           &run_plan);
  add_show(app, parsed, apply_json, "apply", "reconcile the policy now (root)", &run_apply);
  add_pause(app, parsed, pause, resume_config);
  command(app, parsed, "reload", "reload the daemon's configuration (root)", &run_reload);
  add_detect(app, parsed, detect);
  // After the commands: a subcommand inherits the footer set before it.
  app.footer(
      "`bmcquietctl COMMAND --help` shows a command's options.\n"
      "Exit status: 0 done; 1 the daemon refused or could not be reached (the reason on "
      "stderr); 2 usage error; `check` has its own (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).");
  if (bmcquiet::cli::help_dump(app, argc, argv)) return 0;
  if (argc < 2 || !known(app, argv[1])) {
    if (argc >= 2) std::fprintf(stderr, "bmcquietctl: unknown command '%s'\n", argv[1]);
    std::fputs(app.help().c_str(), stderr);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // `check` follows the monitoring-plugin convention: a usage error is UNKNOWN.
    const bool is_check = argc > 1 && std::string(argv[1]) == "check";
    return bmcquiet::cli::finish(app, e, is_check ? 3 : 2);
  }
  bmcquiet::setup_logging("warn");
  return parsed.run();
}
