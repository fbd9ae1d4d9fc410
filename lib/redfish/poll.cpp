// One poll: discovery (only links, never guessed IDs; cached until a 404, a
// re-login or an outage) and then every reader in one parallel batch, so a
// poll costs a handful of requests on a keep-alive connection.
#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "redfish/client_impl.hpp"
#include "redfish/readers.hpp"

namespace bmcquiet::redfish {
namespace {

constexpr std::size_t kMaxChassis = 16;  // bounds labels and requests on big HGX trees
constexpr const char* kExpand = "?$expand=.($levels=1)";

// A poll in progress: counts requests, keeps the first error, owns the snapshot.
struct Run : std::enable_shared_from_this<Run> {
  std::shared_ptr<Client::Impl> self;
  SnapshotHandler handler;
  Snapshot snap;
  Clock::time_point started = Clock::now(), deadline;
  bool saw_404 = false, transport_failure = false, discovering = false;

  using Batch = std::function<void(std::vector<Response>)>;
  // GETs through the client's queue (so the in-flight cap holds); done gets
  // the responses in the order of paths.
  void get_all(std::vector<std::string> paths, Batch done) {
    if (paths.empty()) {
      boost::asio::post(self->io, [done] { done({}); });
      return;
    }
    auto results = std::make_shared<std::vector<Response>>(paths.size());
    auto left = std::make_shared<std::size_t>(paths.size());
    for (std::size_t i = 0; i < paths.size(); ++i) {
      ++snap.requests;
      Request r{"GET", paths[i], "", "", nullptr};
      r.deadline = deadline;
      r.handler = [run = shared_from_this(), results, left, i, done](Response resp) {
        run->note(resp);
        (*results)[i] = std::move(resp);
        if (--*left == 0) done(std::move(*results));
      };
      self->submit(std::move(r));
    }
  }

  void note(const Response& r) {
    if (r.ok()) return;
    // A dangling link found while discovering is the BMC's bug: skip that part.
    if (discovering && r.status == 404) return;
    if (r.status == 404) saw_404 = true;
    if (r.status == 0 || r.status >= 500) transport_failure = true;
    if (snap.error.empty()) snap.error = r.error;
  }

  void finish() {
    snap.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    snap.taken = std::chrono::system_clock::now();
    snap.up = snap.error.empty();
    auto& impl = *self;
    if (saw_404 || transport_failure) impl.discovery.reset();  // maybe rebooted: walk again
    if (snap.up) {
      impl.poll_backoff.succeed();
    } else {
      impl.next_poll_at = Clock::now() + impl.poll_backoff.fail();
    }
    auto result = std::make_shared<const Snapshot>(std::move(snap));
    impl.last = result;
    impl.polling = false;
    auto waiters = std::move(impl.poll_waiters);
    impl.poll_waiters.clear();
    handler(result);
    for (auto& w : waiters) w(result);
  }
};

std::vector<std::string> member_links(const Json& collection) {
  std::vector<std::string> out;
  const auto members = collection["Members"];
  for (std::size_t i = 0; i < members.size(); ++i)
    if (auto l = members[i].link(); !l.empty()) out.push_back(l);
  return out;
}

bool advertised(const Json& root, const char* feature) {
  const auto f = root["ProtocolFeaturesSupported"];
  if (std::string_view(feature) == "expand")
    return f["ExpandQuery"]["Levels"].boolean().value_or(false) ||
           f["ExpandQuery"]["ExpandAll"].boolean().value_or(false);
  return f[feature].boolean().value_or(false);
}

ChassisLinks chassis_links(const Json& c, const std::string& model) {
  ChassisLinks l;
  l.id = c["Id"].string().value_or(c.link());
  l.path = c.link();
  l.thermal = c["Thermal"].link();
  l.power = c["Power"].link();
  l.sensors = c["Sensors"].link();
  l.controls = c["Controls"].link();
  l.environment = c["EnvironmentMetrics"].link();
  const bool has_new = !c["ThermalSubsystem"].link().empty() || !l.sensors.empty();
  const bool has_old = !l.thermal.empty() || !l.power.empty();
  l.subsystem = model == "subsystem" ? has_new
                : model == "legacy"  ? false
                                     : !c["ThermalSubsystem"].link().empty() || !has_old;
  if (l.subsystem) l.thermal_metrics = c["ThermalSubsystem"].link();  // resolved below
  return l;
}

// Stage 3: the links inside each chassis, the manager and the system.
void discover_links(std::shared_ptr<Run> run, std::function<void()> then,
                    std::shared_ptr<Discovery> d, std::vector<Response> bodies, std::size_t n) {
  const auto& model = run->self->opt.data_model;
  for (std::size_t i = 0; i < n && i < bodies.size(); ++i) {
    if (!bodies[i].ok()) continue;
    auto l = chassis_links(bodies[i].body, model);
    if (l.subsystem || !l.thermal.empty() || !l.power.empty()) d->chassis.push_back(l);
  }
  std::vector<std::string> paths;  // subsystem chassis: ThermalSubsystem; then log/media colls
  for (const auto& c : d->chassis) paths.push_back(c.subsystem ? c.thermal_metrics : "");
  std::vector<std::string> colls;
  std::size_t k = n;
  for (const auto* owner : {&d->manager, &d->system}) {
    if (owner->empty() || k >= bodies.size()) continue;
    const auto body = bodies[k++].body;
    if (owner == &d->manager) d->network_protocol = body["NetworkProtocol"].link();
    colls.push_back(body["LogServices"].link());
    colls.push_back(body["VirtualMedia"].link());
  }
  paths.insert(paths.end(), colls.begin(), colls.end());
  std::vector<std::string> wanted;
  for (auto& p : paths)
    if (!p.empty()) wanted.push_back(p);
  run->get_all(wanted, [run, then, d, paths](std::vector<Response> r) {
    std::map<std::string, Json> by_path;
    for (std::size_t i = 0, j = 0; i < paths.size(); ++i)
      if (!paths[i].empty()) by_path[paths[i]] = r[j++].body;
    for (auto& c : d->chassis) {
      if (!c.subsystem || c.thermal_metrics.empty()) continue;
      const auto ts = by_path[c.thermal_metrics];
      c.thermal_metrics = ts["ThermalMetrics"].link();
      c.fans = ts["Fans"].link();
    }
    std::vector<std::string> logs, more;
    for (std::size_t i = d->chassis.size(); i < paths.size(); ++i) {
      if (paths[i].empty()) continue;
      const bool is_log = (i - d->chassis.size()) % 2 == 0;
      for (auto& m : member_links(by_path[paths[i]])) (is_log ? logs : d->media).push_back(m);
    }
    // Stage 4: each log service (capacity, entries link) and member lists.
    more = logs;
    std::vector<std::vector<std::string>*> targets;  // where each member list goes
    for (auto& c : d->chassis) {
      if (!c.subsystem || d->expand) continue;
      for (auto [coll, members] :
           {std::pair{&c.fans, &c.fan_members}, std::pair{&c.controls, &c.control_members}}) {
        if (coll->empty()) continue;
        more.push_back(*coll);
        targets.push_back(members);
      }
    }
    run->get_all(more, [run, then, d, logs, targets](std::vector<Response> s) {
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i < logs.size()) {
          if (s[i].ok()) d->logs.push_back(read_log_service(s[i].body, logs[i], ""));
        } else {
          *targets[i - logs.size()] = member_links(s[i].body);
        }
      }
      if (run->snap.error.empty()) run->self->discovery = std::move(*d);
      then();
    });
  });
}

// Discovery, in stages that each fan out in parallel.
void discover(std::shared_ptr<Run> run, std::function<void()> then) {
  run->get_all({"/redfish/v1"}, [run, then](std::vector<Response> r) {
    if (!r[0].ok()) return run->finish();
    const auto root = r[0].body;
    auto d = std::make_shared<Discovery>();
    d->expand = advertised(root, "expand");
    d->top_skip = advertised(root, "TopSkipQuery");
    d->root_vendor = root["Vendor"].string();
    if (root["Oem"].size() == 1) d->root_oem = root["Oem"].keys()[0];
    const auto preferred = root["Links"]["ManagerProvidingService"].link();
    run->get_all(
        {root["Chassis"].link(), root["Managers"].link(), root["Systems"].link()},
        [run, then, d, preferred](std::vector<Response> c) {
          auto chassis = member_links(c[0].body);
          if (chassis.size() > kMaxChassis) chassis.resize(kMaxChassis);
          auto managers = member_links(c[1].body);
          auto systems = member_links(c[2].body);
          d->manager = !preferred.empty() ? preferred : managers.empty() ? "" : managers[0];
          d->system = systems.empty() ? "" : systems[0];
          auto paths = chassis;
          paths.push_back(d->manager);
          paths.push_back(d->system);
          std::erase(paths, std::string());
          run->get_all(paths, [run, then, d, n = chassis.size()](std::vector<Response> b) {
            discover_links(run, then, d, std::move(b), n);
          });
        });
  });
}

// Every reader's GET, tagged with what parses it.
struct Plan {
  enum Kind {
    manager,
    system,
    protocol,
    thermal,
    power,
    sensors,
    thermal_metrics,
    fan,
    environment,
    controls,
    control,
    media,
    log
  };
  std::vector<std::string> paths;
  std::vector<std::pair<Kind, std::size_t>> tags;  // kind, chassis or log index
  void add(const std::string& p, Kind k, std::size_t i = 0) {
    if (p.empty()) return;
    paths.push_back(p);
    tags.emplace_back(k, i);
  }
};

Plan plan_reads(const Discovery& d, bool count_logs) {
  Plan p;
  p.add(d.manager, Plan::manager);
  p.add(d.system, Plan::system);
  p.add(d.network_protocol, Plan::protocol);
  for (std::size_t i = 0; i < d.chassis.size(); ++i) {
    const auto& c = d.chassis[i];
    if (!c.subsystem) {
      p.add(c.thermal, Plan::thermal, i);
      p.add(c.power, Plan::power, i);
      continue;
    }
    if (d.expand && !c.sensors.empty()) {
      p.add(c.sensors + kExpand, Plan::sensors, i);
    } else {
      p.add(c.thermal_metrics, Plan::thermal_metrics, i);
      for (const auto& f : c.fan_members) p.add(f, Plan::fan, i);
    }
    p.add(c.environment, Plan::environment, i);
    if (d.expand && !c.controls.empty()) p.add(c.controls + kExpand, Plan::controls, i);
    for (const auto& m : c.control_members) p.add(m, Plan::control, i);
    // Power draw or cap missing from the newer resources (iDRAC has no
    // Controls): the deprecated Power resource still says, read it after them.
    if (c.environment.empty() || c.controls.empty()) p.add(c.power, Plan::power, i);
  }
  for (const auto& m : d.media) p.add(m, Plan::media);
  if (count_logs)
    for (std::size_t i = 0; i < d.logs.size(); ++i)
      if (d.logs[i].capacity || d.top_skip)
        p.add(d.logs[i].entries_path + (d.top_skip ? "?$top=1" : ""), Plan::log, i);
  return p;
}

// Hands each response to its reader; the log counts live on in the discovery.
void apply_reads(Run& run, const Plan& plan, bool count_logs, const std::vector<Response>& r) {
  auto& impl = *run.self;
  if (!impl.discovery) return run.finish();  // a 401 dropped it meanwhile
  auto& d = *impl.discovery;
  auto& s = run.snap;
  s.manager_path = d.manager;
  s.system_path = d.system;
  s.data_model = d.chassis.empty() ? "" : d.chassis[0].subsystem ? "subsystem" : "legacy";
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!r[i].ok()) continue;
    const auto& [kind, idx] = plan.tags[i];
    const auto& body = r[i].body;
    const ChassisContext chassis{idx < d.chassis.size() ? d.chassis[idx].id : "", "", idx == 0};
    switch (kind) {
      case Plan::manager:
        read_manager(body, s);
        break;
      case Plan::system:
        read_system(body, s);
        break;
      case Plan::protocol:
        read_network_protocol(body, s);
        break;
      case Plan::thermal:
        read_legacy_thermal(body, chassis, s);
        break;
      case Plan::power:
        read_legacy_power(body, plan.paths[i], chassis, s);
        break;
      case Plan::sensors:
        read_sensors(body, chassis, s);
        break;
      case Plan::thermal_metrics:
        read_thermal_metrics(body, chassis, s);
        break;
      case Plan::fan:
        read_fan(body, chassis, s);
        break;
      case Plan::environment:
        read_environment(body, chassis, s);
        break;
      case Plan::controls:
        read_controls(body, chassis, s);
        break;
      case Plan::control:
        read_control(body, chassis, s);
        break;
      case Plan::media:
        s.media.push_back(read_media(body, plan.paths[i], ""));
        break;
      case Plan::log:
        d.logs[idx].entries = count_members(body);
        break;
    }
  }
  for (const auto* fallback : {&d.root_vendor, &s.system_manufacturer, &d.root_oem})
    if (!s.vendor && *fallback && !(*fallback)->empty()) s.vendor = *fallback;
  if (count_logs && s.error.empty()) d.logs_counted = Clock::now();
  s.logs = d.logs;
  run.finish();
}

void read_all(std::shared_ptr<Run> run) {
  auto& impl = *run->self;
  if (!impl.discovery) return run->finish();
  const auto& d = *impl.discovery;
  const bool count_logs = d.logs_counted == Clock::time_point{} ||
                          Clock::now() - d.logs_counted >= impl.opt.log_interval;
  auto plan = std::make_shared<Plan>(plan_reads(d, count_logs));
  run->get_all(plan->paths, [run, plan, count_logs](std::vector<Response> r) {
    apply_reads(*run, *plan, count_logs, r);
  });
}

}  // namespace

std::shared_ptr<const Model> Client::model() const { return nullptr; }

void Client::discover(ModelHandler handler) {
  boost::asio::post(impl_->io, [handler] { handler(nullptr, "discovery is not built yet"); });
}

void Client::Impl::poll(SnapshotHandler handler) {
  if (polling) {  // single flight: one walk of the BMC serves every caller
    poll_waiters.push_back(std::move(handler));
    return;
  }
  auto run = std::make_shared<Run>();
  run->self = shared_from_this();
  run->handler = std::move(handler);
  run->deadline = Clock::now() + opt.poll_deadline;
  if (closing || Clock::now() < next_poll_at) {
    run->snap.error = closing ? "the Redfish client is shutting down"
                              : fmt::format("backing off after {} failed polls of {}",
                                            poll_backoff.failures(), opt.url);
    if (last && !last->error.empty()) run->snap.error += "; last error: " + last->error;
    boost::asio::post(io, [run] {
      run->snap.taken = std::chrono::system_clock::now();
      run->handler(std::make_shared<const Snapshot>(std::move(run->snap)));
    });
    return;
  }
  polling = true;
  if (discovery) {
    read_all(run);
  } else {
    run->discovering = true;
    redfish::discover(run, [run] {
      run->discovering = false;
      read_all(run);
    });
  }
}

}  // namespace bmcquiet::redfish
