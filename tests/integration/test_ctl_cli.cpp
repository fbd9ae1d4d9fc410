// The two programs' command lines (one parser, CLI11) and `bmcquietctl
// check`'s monitoring-plugin exit codes, run as an operator or Nagios would.
#include <sys/stat.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "policy/pause.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet::test;
namespace json = boost::json;

namespace {

const std::string kCtl = built_binary("daemon/bmcquietctl");
const std::string kDaemon = built_binary("daemon/bmcquietd");

// stdout only: help and versions must not go to stderr.
CommandResult stdout_of(const std::string& command) {
  return run_command("{ " + command + " 2>/dev/null; }");
}

std::string no_bmc_config(const TempDir& dir) {
  return dir.write("bmcquiet.yaml", "paths:\n  state: " + dir.path() + "/state\n");
}

std::string unreachable_bmc_config(TempDir& dir) {
  const auto password = dir.write("password", "secret");
  ::chmod(password.c_str(), 0600);
  return dir.write("bmcquiet.yaml", "paths:\n  state: " + dir.path() +
                                        "/state\nbmc:\n  redfish:\n    url: " +
                                        "https://127.0.0.1:" + std::to_string(free_tcp_port()) +
                                        "\n    host_interface: false\n    username: admin\n"
                                        "    password_credential: \"\"\n    password_file: " +
                                        password + "\n");
}

json::object check_json(const std::string& args) {
  auto run = stdout_of(kCtl + " check --json --sample 0.2 " + args);
  INFO(run.output);
  auto report = json::parse(run.output).as_object();
  CHECK(run.exit_code == int(report.at("exit_code").as_int64()));
  for (const auto& f : report.at("findings").as_array()) {
    CHECK_FALSE(f.at("check").as_string().empty());
    CHECK_FALSE(f.at("reason").as_string().empty());
  }
  return report;
}

// The finding named `check`, or an empty object.
json::object finding(const json::object& report, const std::string& check) {
  for (const auto& f : report.at("findings").as_array())
    if (f.at("check").as_string() == check) return f.as_object();
  return {};
}

}  // namespace

TEST_CASE("CLI: --help goes to stdout with exit 0 for both programs and every subcommand",
          "[cli]") {
  for (const auto& [command, expect] : std::vector<std::pair<std::string, std::string>>{
           {kDaemon + " --help", "--check-config"},
           {kDaemon + " -h", "--path.procfs"},
           {kCtl + " --help", "detect"},
           {kCtl + " check --help", "--sample"},
           {kCtl + " status --help", "--json"},
           {kCtl + " plan --help", "--json"},
           {kCtl + " apply --help", "--json"},
           {kCtl + " pause --help", "indefinite"},
           {kCtl + " resume --help", "--config"},
           {kCtl + " reload --help", "Usage: bmcquietctl reload"},
           {kCtl + " detect --help", "--threshold-us"}}) {
    auto r = stdout_of(command);
    INFO(command << ": " << r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find(expect) != std::string::npos);
  }
  // No command at all is a usage error: the usage on stderr, exit 2.
  auto bare = run_command(kCtl + " 2>&1 >/dev/null");
  CHECK(bare.exit_code == 2);
  CHECK(bare.output.find("Usage: bmcquietctl") != std::string::npos);
  auto unknown = run_command(kCtl + " frobnicate 2>&1 >/dev/null");
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.output.find("frobnicate") != std::string::npos);
}

TEST_CASE("CLI: --version, both programs, the same version, on stdout", "[cli]") {
  auto daemon = stdout_of(kDaemon + " --version");
  auto ctl = stdout_of(kCtl + " --version");
  CHECK(daemon.exit_code == 0);
  CHECK(ctl.exit_code == 0);
  REQUIRE(daemon.output.rfind("bmcquietd ", 0) == 0);
  REQUIRE(ctl.output.rfind("bmcquietctl ", 0) == 0);
  CHECK(daemon.output.substr(10) == ctl.output.substr(12));
}

TEST_CASE("CLI: --opt=value and --opt value mean the same in both programs", "[cli]") {
  const std::string shipped = std::string(BMCQUIET_SOURCE_DIR) + "/config/bmcquiet.yaml";
  CHECK(run_command(kDaemon + " --check-config --config=" + shipped).exit_code == 0);
  CHECK(run_command(kDaemon + " --check-config --config " + shipped).exit_code == 0);
  CHECK(run_command(kDaemon + " --log-level=loud --check-config").exit_code == 2);
  TempDir dir;
  for (const auto& form : {" --config=", " --config "}) {
    auto r = stdout_of(kCtl + " check --sample=0.2" + form + dir.path() + "/missing.yaml");
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(r.output.find(dir.path() + "/missing.yaml") != std::string::npos);
  }
}

TEST_CASE("check: usage errors and an unreadable --config are UNKNOWN (3), never defaults",
          "[cli][check]") {
  for (const auto& args : {"--bogus", "--sample 100", "--sample", "--cpu minus-one", "extra"}) {
    auto r = run_command(kCtl + " check " + args + " 2>&1");
    INFO(args << ": " << r.output);
    CHECK(r.exit_code == 3);
  }
  TempDir dir;
  auto missing = check_json("--config " + dir.path() + "/nope.yaml");
  CHECK(missing.at("severity") == "UNKNOWN");
  CHECK(finding(missing, "config").at("severity") == "UNKNOWN");
  CHECK(missing.find("policy") == missing.end());  // no check ran on built-in defaults

  const auto unreadable = dir.write("directory.yaml/x", "");
  auto refused = check_json("--config " + dir.path() + "/directory.yaml");
  CHECK(refused.at("exit_code") == 3);
}

TEST_CASE("check: an unreachable BMC is UNKNOWN (3) with the reason, not a warning",
          "[cli][check]") {
  TempDir dir;
  auto report = check_json("--config " + unreachable_bmc_config(dir));
  CHECK(report.at("exit_code").as_int64() == 3);
  const auto bmc = finding(report, "bmc");
  REQUIRE_FALSE(bmc.empty());
  CHECK(bmc.at("severity") == "UNKNOWN");
  CHECK(bmc.at("reason").as_string().find("127.0.0.1") != json::string::npos);
}

TEST_CASE(
    "check: every finding with its severity, no BMC configured is a WARNING, and a "
    "pause older than the alert's maximum is a WARNING",
    "[cli][check]") {
  TempDir dir;
  const auto config = no_bmc_config(dir);
  auto report = check_json("--config " + config);
  CHECK(finding(report, "bmc").at("severity") == "WARNING");
  CHECK(finding(report, "smi_rate").count("severity") == 1);
  CHECK(finding(report, "policy:sol").at("severity") == "OK");
  // No measured CRITICAL: the sample may warn (a hypervisor steals time) but nothing more.
  CHECK(report.at("exit_code").as_int64() == 1);
  CHECK(finding(report, "pause").empty());

  const double now = bmcquiet::policy::unix_now();
  REQUIRE(bmcquiet::policy::save_pause(dir.path() + "/state",
                                       {now - 3 * 86400, 0, "forgotten BIOS update"}) == "");
  auto paused = check_json("--config " + config);
  const auto pause = finding(paused, "pause");
  REQUIRE_FALSE(pause.empty());
  CHECK(pause.at("severity") == "WARNING");
  CHECK(pause.at("reason").as_string().find("BmcQuietPolicyPausedTooLong") != json::string::npos);
  CHECK(pause.at("reason").as_string().find("forgotten BIOS update") != json::string::npos);

  REQUIRE(bmcquiet::policy::save_pause(dir.path() + "/state", {now - 60, 0, "short"}) == "");
  CHECK(check_json("--config " + config).at("findings").as_array().size() ==
        paused.at("findings").as_array().size());
  CHECK(finding(check_json("--config " + config), "pause").at("severity") == "OK");
}

TEST_CASE("CLI: check and detect show a progress line on a terminal, and only there", "[cli]") {
  TempDir dir;
  const auto config = no_bmc_config(dir);
  // script(1) gives the command a pseudo-terminal, as an operator's shell has.
  auto on_tty = run_command("script -qec '" + kCtl + " detect --cpu 0 --duration 1.2 >/dev/null' " +
                            dir.path() + "/typescript");
  INFO(on_tty.output);
  CHECK(on_tty.output.find("detect: CPU 0: 0 of 1.2 s") != std::string::npos);
  CHECK(on_tty.output.find("\r\033[K") != std::string::npos);
  auto piped = run_command(kCtl + " detect --cpu 0 --duration 1.2 2>&1 >/dev/null");
  CHECK(piped.output.find("detect: CPU") == std::string::npos);

  auto check_tty = run_command("script -qec '" + kCtl + " check --sample 0.5 --config " + config +
                               " >/dev/null 2>/dev/tty' " + dir.path() + "/typescript");
  CHECK(check_tty.output.find("check: sampling SMIs and TSC gaps") != std::string::npos);
}
