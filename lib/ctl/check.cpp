// `bmcquietctl check`: the safe successor of the seed article's
// ipmi-silence.sh; it changes nothing. It samples SMIs and TSC gaps on one
// housekeeping CPU, then runs one policy pass with every item forced to
// `report` (report never writes) over the configuration's BMC (borrowed from
// its owner, as the daemon's consumers do), and prints what it found, what
// the policy would change, and an exit code by the monitoring-plugin
// convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). Thresholds and
// severities come from the alert rules' source (check_thresholds.hpp).
#include "ctl/command.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>

#include "bmc/bmc.hpp"
#include "core/files.hpp"
#include "ctl/check_findings.hpp"
#include "ctl/check_nic.hpp"
#include "ctl/check_sensors.hpp"
#include "ctl/check_watchdog.hpp"
#include "ctl/policy_table.hpp"
#include "ctl/run_until.hpp"
#include "ipmi/client.hpp"
#include "measure/tsc_detector.hpp"
#include "metrics/metrics.hpp"
#include "platform/cpu_topology.hpp"
#include "platform/inband_ipmi_users.hpp"
#include "policy/engine.hpp"
#include "policy/pause.hpp"
#include "policy/provider.hpp"
#include "policy/report.hpp"
#include "service/setup.hpp"

namespace bmcquiet::ctl {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Windows of half the period: the most the detector allows, so the short
// sample sees as much as it can.
Platform sample_platform(const CheckOptions& o, const DaemonConfig& config) {
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

// SEL fill over IPMI where the ipmi_sel collector would read it (lanplus, or
// in-band when collectors.ipmi_sel.inband asks): one Get SEL Info.
std::optional<SelFill> read_sel(boost::asio::io_context& io, const HostConfig& host) {
  if (std::none_of(host.collectors.begin(), host.collectors.end(),
                   [](const ScheduledCollector& c) { return c.name == "ipmi_sel"; }))
    return std::nullopt;
  host.bmc->borrow();
  auto out = std::make_shared<std::optional<SelFill>>();  // outlives a late answer
  host.bmc->ipmi()->get_sel_info([out](ipmi::Result<ipmi::SelInfo> r) {
    SelFill s;
    if (!r.ok()) s.error = r.error.message;
    if (r.ok())
      s = {"", double(r.value->entries), double(r.value->capacity_entries()), r.value->overflow};
    *out = s;
  });
  run_until(
      io, [&out] { return out->has_value(); }, std::chrono::steady_clock::now() + 30s);
  return out->value_or(SelFill{"no answer within 30 s"});
}

// One policy pass, every item that is not off forced to report.
std::shared_ptr<policy::Engine> observe_policy(boost::asio::io_context& io, Metrics& metrics,
                                               const HostConfig& host,
                                               policy::PolicySettings settings) {
  for (auto id : policy::kAllItems)
    if (settings.mode(id) != policy::Mode::off) settings.set_mode(id, policy::Mode::report);
  host.bmc->borrow();
  auto engine = std::make_shared<policy::Engine>(
      metrics, policy::Engine::Options{settings, host.config.paths.state, nullptr},
      policy::make_bmc_provider(host.bmc, {host.config.paths.state}));
  bool done = false;
  engine->reconcile([&done] { done = true; });
  run_until(
      io, [&done] { return done; }, std::chrono::steady_clock::now() + 60s);
  engine->detach();
  bool closed = false;  // ends the BMC session: BMCs have few session slots
  host.bmc->shutdown([&closed] { closed = true; });
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

json::array findings_json(const Findings& findings) {
  json::array out;
  for (const auto& f : findings.all())
    out.push_back(
        json::object{{"check", f.check}, {"severity", name(f.severity)}, {"reason", f.reason}});
  return out;
}

struct Loaded {
  std::string text;
  std::optional<HostConfig> host;
};

// The configuration: --config names a file that must be readable; without
// it a missing default file means built-in defaults (a finding says so).
std::optional<Loaded> load(const CheckOptions& o, boost::asio::io_context& io, Metrics& metrics,
                           Findings& findings) {
  const std::string path = o.config.empty() ? kDefaultConfigPath : o.config;
  Loaded out;
  auto file = read_regular_file(path, 4 * 1024 * 1024);
  if (file.text) {
    out.text = *file.text;
  } else if (o.config.empty() && !std::filesystem::exists(path)) {
    findings.add("config", Severity::ok,
                 fmt::format("no configuration at {}: built-in defaults", path));
  } else {
    findings.add("config", Severity::unknown,
                 fmt::format("cannot read --config {}: {}", path, file.error));
    return std::nullopt;
  }
  auto built = read_host_config(out.text, path, io, metrics);
  if (!built.host) {
    findings.add("config", Severity::unknown, built.diagnostics->summary());
    return std::nullopt;
  }
  out.host = std::move(built.host);
  return out;
}

int report(const CheckOptions& o, const Findings& findings, const Platform* platform,
           const InbandIpmiView* inband, policy::Engine* engine,
           const WatchdogCheck* watchdog = nullptr) {
  const auto severity = findings.worst();
  auto status = engine ? std::optional(engine->status()) : std::nullopt;
  if (o.json) {
    json::object out{{"severity", name(severity)},
                     {"exit_code", int(severity)},
                     {"findings", findings_json(findings)}};
    if (platform) out["platform"] = platform_json(*platform);
    if (inband) out["inband_ipmi"] = inband_json(*inband);
    if (watchdog) out["watchdog"] = watchdog_json(*watchdog);
    if (engine) {
      out["policy"] = json::parse(policy::status_json(*status));
      out["plan"] = json::parse(policy::plan_json(engine->plan()));
    }
    std::puts(json::serialize(out).c_str());
    return int(severity);
  }
  for (const auto& f : findings.all())  // e.g. built-in defaults: no config file
    if ((f.check == "config" || f.check == "bmc_nic") && f.severity == Severity::ok)
      std::printf("Note       %s\n", f.reason.c_str());
  for (const auto& f : findings.all())
    if (f.check == "sel") std::printf("SEL        %s\n", f.reason.c_str());
  if (platform) std::fputs(platform_text(*platform).c_str(), stdout);
  if (inband) std::fputs(inband_text(*inband).c_str(), stdout);
  if (watchdog) std::fputs(watchdog_text(*watchdog).c_str(), stdout);
  if (engine) {
    std::fputs(render_status(policy::status_json(*status)).c_str(), stdout);
    std::printf("\nWhat the policy would change (nothing was written):\n%s",
                render_plan(policy::plan_json(engine->plan())).c_str());
  }
  std::printf("\n%s%s\n", findings.text().c_str(), name(severity));
  return int(severity);
}

}  // namespace

int run_check(const CheckOptions& o) {
  boost::asio::io_context io;
  Metrics metrics;
  Findings findings;
  Progress progress("check");
  auto loaded = load(o, io, metrics, findings);
  if (!loaded) return report(o, findings, nullptr, nullptr, nullptr);
  const auto& host = *loaded->host;
  progress.show(fmt::format("sampling SMIs and TSC gaps for {:g} s", o.sample_seconds));
  auto platform = sample_platform(o, host.config);
  judge_platform(platform, findings);
  const auto inband = scan_inband(host.config);
  progress.show("reading the BMC's network ports (at most 20 s)");
  check_nic(io, host.bmc, host.config.paths.sysfs, findings);
  progress.show("reading the BMC's SEL fill over IPMI (at most 30 s)");
  if (auto sel = read_sel(io, host)) judge_sel(*sel, findings);
  progress.show("reading the BMC's IPMI sensors (at most 60 s)");
  check_ipmi_sensors(io, metrics, *loaded->host, findings);
  progress.show("reading the BMC's settings (at most 60 s)");
  auto engine = observe_policy(io, metrics, host, policy_settings(loaded->text));
  progress.show("");
  const auto status = engine ? std::optional(engine->status()) : std::nullopt;
  judge_policy(host.bmc->has_redfish() || host.bmc->has_ipmi(), status, findings,
               policy::unix_now());
  // After the policy pass: the BMC's timer as its watchdog item read it.
  const auto watchdog = check_watchdog(host.config, status);
  judge_watchdog(watchdog, findings);
  return report(o, findings, &platform, &inband, engine.get(), &watchdog);
}

}  // namespace bmcquiet::ctl
