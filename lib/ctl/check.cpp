// `bmcquietctl check [--config PATH] [--sample SECONDS] [--cpu N] [--json]`
//
// The safe successor of the seed article's ipmi-silence.sh: it changes
// nothing. It samples SMIs and TSC gaps on one housekeeping CPU, then runs one
// policy pass with every item forced to `report` (report never writes) over
// the configuration's BMC (borrowed from its owner, as the daemon's consumers
// do), and prints what it found, what the
// policy would change, and an exit code by severity:
//   0 OK, 1 WARNING (drift, SMIs, TSC gaps), 2 CRITICAL (power cap below the
//   floor, SMIs at 1/s or more), 3 UNKNOWN (bad config, BMC unreachable).
#include "ctl/check.hpp"

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>

#include "bmc/bmc.hpp"
#include "collectors/tsc_detector.hpp"
#include "ctl/policy_table.hpp"
#include "metrics/metrics.hpp"
#include "platform/cpu_topology.hpp"
#include "platform/inband_ipmi_users.hpp"
#include "platform/sysfs.hpp"
#include "policy/engine.hpp"
#include "policy/provider.hpp"
#include "policy/report.hpp"
#include "service/plan.hpp"

namespace bmcquiet::ctl {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kUsage =
    "usage: bmcquietctl check [--config PATH] [--sample SECONDS] [--cpu N] [--json]\n"
    "Read-only: samples SMIs and TSC gaps on one housekeeping CPU (default 2 s), reads\n"
    "the BMC settings the policy covers and shows what the policy would change.\n"
    "Exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n";

enum class Severity { ok = 0, warning = 1, critical = 2, unknown = 3 };

int rank(Severity s) { return s == Severity::ok ? 0 : s == Severity::unknown ? 1 : int(s) + 1; }
void raise(Severity& current, Severity s) {
  if (rank(s) > rank(current)) current = s;
}
const char* name(Severity s) {
  switch (s) {
    case Severity::ok:
      return "OK";
    case Severity::warning:
      return "WARNING";
    case Severity::critical:
      return "CRITICAL";
    default:
      return "UNKNOWN";
  }
}

struct Options {
  std::string config = kDefaultConfigPath;
  double sample_seconds = 2;
  int cpu = -1;
  bool json = false;
};

struct Platform {
  std::string error;      // the sample could not run
  std::string smi_error;  // SMI counts unreadable
  int cpu = 0;
  double sampled = 0, stolen = 0, max_gap = 0;
  std::uint64_t gaps = 0, smis = 0;
  bool hypervisor = false;
};

std::string parse(std::span<const std::string> args, Options& o) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--json") {
      o.json = true;
      continue;
    }
    if (i + 1 >= args.size()) return fmt::format("{} needs a value (or is unknown)", args[i]);
    const auto& v = args[++i];
    try {
      if (args[i - 1] == "--config")
        o.config = v;
      else if (args[i - 1] == "--sample")
        o.sample_seconds = std::stod(v);
      else if (args[i - 1] == "--cpu")
        o.cpu = std::stoi(v);
      else
        return fmt::format("unknown option {}", args[i - 1]);
    } catch (const std::exception&) {
      return fmt::format("{} {}: not a number", args[i - 1], v);
    }
  }
  if (!(o.sample_seconds >= 0.1 && o.sample_seconds <= 60)) return "--sample must be 0.1 to 60";
  return {};
}

// Windows of half the period: the most the detector allows, so the short
// sample sees as much as it can.
Platform sample_platform(const Options& o, const DaemonConfig& config) {
  Platform p;
  auto roles = resolve_cpu_roles(config.paths.sysfs, config.cpus);
  p.cpu = o.cpu >= 0 ? o.cpu : roles.housekeeping.empty() ? 0 : *roles.housekeeping.begin();
  TscDetectorConfig c;
  c.cpu = p.cpu;
  c.width = 100ms;
  c.period = 200ms;
  c.procfs = config.paths.procfs;
  c.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(o.sample_seconds));
  auto smi = std::make_shared<LocalSmiCounter>(config.paths, p.cpu);
  TscDetector detector(c, LocalSmiCounter::reader(smi), [&p](WindowReport w) {
    p.sampled += w.sampled_seconds;
    p.stolen += w.stolen_seconds;
    p.gaps += w.gaps_total;
    p.smis += w.events.smi.value_or(0);
    for (const auto& g : w.gaps) p.max_gap = std::max(p.max_gap, g.duration_ns / 1e9);
  });
  detector.start();
  detector.wait();
  if (auto error = detector.error()) p.error = *error;
  p.smi_error = smi->error();
  p.hypervisor = detector.info().value_or(TscDetectorInfo{}).hypervisor;
  return p;
}

// Runs the loop until done() or the deadline; an io_context that ran out of
// work stops, so it is restarted while callbacks are still expected.
template <class Pred>
void run_until(boost::asio::io_context& io, Pred done,
               std::chrono::steady_clock::time_point deadline) {
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(100ms);
  }
}

// One policy pass, every item that is not off forced to report.
std::shared_ptr<policy::Engine> observe_policy(boost::asio::io_context& io, Metrics& metrics,
                                               const Plan& plan, policy::PolicySettings settings) {
  for (auto id : policy::kAllItems)
    if (settings.mode(id) != policy::Mode::off) settings.set_mode(id, policy::Mode::report);
  plan.bmc->borrow();
  auto engine = std::make_shared<policy::Engine>(
      metrics, policy::Engine::Options{settings, plan.config.paths.state, nullptr},
      policy::make_bmc_provider(plan.bmc, {plan.config.paths.state}));
  bool done = false;
  engine->reconcile([&done] { done = true; });
  run_until(
      io, [&done] { return done; }, std::chrono::steady_clock::now() + 60s);
  engine->detach();
  bool closed = false;  // ends the BMC session: BMCs have few session slots
  plan.bmc->shutdown([&closed] { closed = true; });
  run_until(
      io, [&closed] { return closed; },
      std::chrono::steady_clock::now() + bmc::Bmc::kShutdownBudget + 500ms);
  return done ? engine : nullptr;
}

policy::PolicySettings policy_settings(const std::string& text) {
  auto diag = std::make_shared<ConfigDiagnostics>("check");
  auto root = ConfigSection::parse(text, diag);
  auto section = root.section("collectors").section("policy");
  return policy::read_policy_settings(section);
}

Severity judge(const Platform& p, const policy::EngineStatus* status) {
  Severity s = Severity::ok;
  if (p.sampled > 0 && p.smis > 0)
    raise(s, p.smis / p.sampled >= 1 ? Severity::critical : Severity::warning);
  if (p.gaps > 0) raise(s, Severity::warning);
  if (!status) return raise(s, Severity::unknown), s;
  for (const auto& i : status->items) {
    if (i.state == policy::ItemState::drifted)
      raise(s, i.id == policy::ItemId::power_cap ? Severity::critical : Severity::warning);
    if (i.state == policy::ItemState::error) raise(s, Severity::unknown);
  }
  return s;
}

std::string platform_text(const Platform& p) {
  if (!p.error.empty()) return fmt::format("Platform   unavailable: {}\n", p.error);
  std::string out = fmt::format(
      "Platform   CPU {}: {:.2f} s sampled, {} TSC gap(s) >= 10 us, {:.1f} us stolen, longest "
      "{:.1f} us{}\n",
      p.cpu, p.sampled, p.gaps, p.stolen * 1e6, p.max_gap * 1e6,
      p.hypervisor ? " (under a hypervisor: its work shows as gaps)" : "");
  out += p.smi_error.empty() ? fmt::format("SMIs       {} in the sample ({:.2f}/s)\n", p.smis,
                                           p.sampled > 0 ? p.smis / p.sampled : 0.0)
                             : fmt::format("SMIs       unavailable: {}\n", p.smi_error);
  return out;
}

json::value platform_json(const Platform& p) {
  json::object o{{"cpu", p.cpu},
                 {"sampled_seconds", p.sampled},
                 {"tsc_gaps", p.gaps},
                 {"stolen_seconds", p.stolen},
                 {"longest_gap_seconds", p.max_gap},
                 {"hypervisor", p.hypervisor},
                 {"error", p.error}};
  if (p.smi_error.empty()) {
    o["smis"] = p.smis;
    o["smi_rate_per_second"] = p.sampled > 0 ? p.smis / p.sampled : 0.0;
  } else {
    o["smi_error"] = p.smi_error;
  }
  return o;
}

// Who talks to the BMC in-band: what switching the inband_ipmi item to
// enforce would cut off, and the KCS traffic the driver has counted so far.
std::string inband_text(const InbandIpmiView& v) {
  std::string out =
      v.users.empty()
          ? "In-band    no process holds an IPMI device open\n"
          : fmt::format("In-band    {} process(es) hold an IPMI device open:\n", v.users.size());
  for (const auto& u : v.users)
    out += fmt::format("           pid {} {} ({}){}\n", u.pid, u.comm, fmt::join(u.devices, ", "),
                       u.may_run_on_isolated ? ", may run on isolated CPUs" : "");
  if (v.si_interfaces == 0) return out + "           ipmi_si: no interface in sysfs\n";
  const auto count = [&](const char* k) {
    auto it = v.si_counters.find(k);
    return it == v.si_counters.end() ? std::uint64_t(0) : it->second;
  };
  return out + fmt::format("           ipmi_si ({}): {} transactions, {} timeouts, {} hosed\n",
                           v.si_type.empty() ? "?" : v.si_type, count("complete_transactions"),
                           count("short_timeouts") + count("long_timeouts"), count("hosed"));
}

json::value inband_json(const InbandIpmiView& v) {
  json::array users;
  for (const auto& u : v.users) {
    json::array devices(u.devices.begin(), u.devices.end());
    users.push_back(json::object{{"pid", u.pid},
                                 {"comm", u.comm},
                                 {"devices", std::move(devices)},
                                 {"may_run_on_isolated", u.may_run_on_isolated}});
  }
  json::object counters;
  for (const auto& [k, n] : v.si_counters) counters[k] = n;
  return json::object{{"users", std::move(users)},
                      {"ipmi_si_interfaces", v.si_interfaces},
                      {"ipmi_si_type", v.si_type},
                      {"ipmi_si_counters", std::move(counters)}};
}

InbandIpmiView scan_inband(const DaemonConfig& config) {
  return scan_inband_ipmi(config.paths,
                          resolve_cpu_roles(config.paths.sysfs, config.cpus).isolated);
}

}  // namespace

int run_check(std::span<const std::string> args) {
  Options o;
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h"))
    return std::fputs(kUsage, stdout), 0;
  if (auto problem = parse(args, o); !problem.empty()) {
    std::fprintf(stderr, "bmcquietctl check: %s\n%s", problem.c_str(), kUsage);
    return 2;
  }
  boost::asio::io_context io;
  Metrics metrics;
  std::string text, note;
  if (auto file = read_small_file(o.config, 4 * 1024 * 1024))
    text = *file;
  else
    note = fmt::format("no readable config at {}: built-in defaults, no BMC", o.config);
  auto loaded = build_plan_from_text(text, o.config, {}, io, metrics);
  if (!loaded.plan) {
    std::fprintf(stderr, "bmcquietctl check: %s\n", loaded.diagnostics->summary().c_str());
    return int(Severity::unknown);
  }
  auto platform = sample_platform(o, loaded.plan->config);
  const auto inband = scan_inband(loaded.plan->config);
  auto engine = observe_policy(io, metrics, *loaded.plan, policy_settings(text));
  auto status = engine ? std::optional(engine->status()) : std::nullopt;
  const auto severity = judge(platform, status ? &*status : nullptr);
  if (o.json) {
    json::object out{{"severity", name(severity)},
                     {"exit_code", int(severity)},
                     {"note", note},
                     {"platform", platform_json(platform)},
                     {"inband_ipmi", inband_json(inband)}};
    if (engine) {
      out["policy"] = json::parse(policy::status_json(*status));
      out["plan"] = json::parse(policy::plan_json(engine->plan()));
    }
    std::puts(json::serialize(out).c_str());
    return int(severity);
  }
  if (!note.empty()) std::printf("Note       %s\n", note.c_str());
  std::fputs(platform_text(platform).c_str(), stdout);
  std::fputs(inband_text(inband).c_str(), stdout);
  if (engine) {
    std::fputs(render_status(policy::status_json(*status)).c_str(), stdout);
    std::printf("\nWhat the policy would change (nothing was written):\n%s",
                render_plan(policy::plan_json(engine->plan())).c_str());
  } else {
    std::puts("Policy     the BMC did not answer within 60 s");
  }
  std::printf("\n%s\n", name(severity));
  return int(severity);
}

}  // namespace bmcquiet::ctl
