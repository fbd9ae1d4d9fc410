// One poll: readers for every chassis the model knows, with discovery
// advanced alongside within the same deadline. What arrived is kept when the
// deadline passes; what did not is read by the next poll, and discovery goes
// on where it stopped. Log counts run apart, on log_interval.
#include <fmt/format.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "redfish/client_impl.hpp"
#include "redfish/discovery.hpp"
#include "redfish/oem.hpp"
#include "redfish/readers.hpp"

namespace bmcquiet::redfish {
namespace {

// What parses a body; also the order readers are applied in, so a snapshot
// never depends on the order the BMC's answers arrived.
enum class Reader {
  system,
  thermal,
  power,
  sensors,
  thermal_metrics,
  fan,
  environment,
  controls,
  control,
  sensor,          // one Sensor, where the collection cannot be expanded
  supply_metrics,  // one PSU's Metrics
  sensor_list,     // the Sensors collection, slow schedule: which members to read
  manager,
  protocol,
  media,
  oem
};

struct Read {
  Reader reader;
  std::string path;     // what is fetched (may carry a query)
  std::string chassis;  // the chassis' path; "" for the rest
  bool slow = false;    // on the slow schedule: the body is kept in the model
};

struct Arrived {
  Read read;
  Json body;
};

bool failure(const HttpResponse& r) {
  if (r.refused) return false;  // a link off the BMC: skipped, not an outage
  return r.status == 0 || r.status == 401 || r.status >= 500 || (r.status < 300 && !r.ok());
}

std::string resource_of(const std::string& path) { return path.substr(0, path.find('?')); }

struct Run : std::enable_shared_from_this<Run> {
  std::shared_ptr<Client::Impl> self;
  std::shared_ptr<Discovery> discovery;
  SnapshotHandler handler;
  Snapshot snap;
  Clock::time_point started = Clock::now(), deadline;
  std::unique_ptr<boost::asio::steady_timer> timer;
  std::deque<Read> todo;
  std::vector<Arrived> arrived;
  std::set<std::string> planned;  // chassis whose reads are queued
  unsigned outstanding = 0, reads_out = 0, missing = 0, turns = 0;
  bool answered = false, failed = false, stale = false, finished = false;
  bool slow_planned = false;

  void start() {
    discovery->new_round();
    timer = std::make_unique<boost::asio::steady_timer>(self->io, deadline);
    timer->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (auto run = weak.lock(); run && !ec) run->finish_at_deadline();
    });
    if (const auto* sys = discovery->model().system())
      todo.push_back({Reader::system, sys->path, "", false});
    plan_chassis();
    plan_slow();
    pump();
  }

  void note(const HttpResponse& r, bool discovering) {
    if (r.status != 0) answered = true;
    if (r.ok()) return;
    if (failure(r)) failed = true;
    if (discovering && !failure(r)) return;  // a dangling link is the BMC's bug: skipped
    if (r.status == 404) stale = true;       // a known resource is gone: walk again
    if (snap.error.empty()) snap.error = r.error, snap.error_kind = r.kind;
  }

  // Readings first, for every chassis known so far (so what a poll publishes
  // does not shrink while discovery goes on), but every fourth request to
  // discovery while both wait, so a BMC with many chassis and a slow answer
  // still gets walked to the end; discovery goes on at the next poll.
  void pump() {
    const unsigned window = std::max(1u, self->opt.max_in_flight);
    while (!finished && outstanding < window && Clock::now() < deadline) {
      const bool fetch = discovery->waiting() && (todo.empty() || ++turns % 4 == 0);
      if (fetch) {
        send_fetch(*discovery->next());
      } else if (!todo.empty()) {
        send_read(std::move(todo.front()));
        todo.pop_front();
      } else {
        break;
      }
    }
    if (!finished && outstanding == 0 && todo.empty() && !discovery->waiting()) finish();
  }

  void send(const std::string& path, ResponseHandler on_answer) {
    ++outstanding;
    ++snap.requests;
    self->submit(Request{"GET", path, "", "", std::move(on_answer)});
  }

  void send_fetch(Fetch f) {
    const auto path = f.path;
    send(path, [run = shared_from_this(), f = std::move(f)](HttpResponse r) {
      --run->outstanding;
      run->fetched(f, r);
    });
  }

  void send_read(Read read) {
    ++reads_out;
    const auto path = read.path;
    send(path, [run = shared_from_this(), read = std::move(read)](HttpResponse r) {
      --run->outstanding;
      --run->reads_out;
      // Bodies the model keeps (for the policy) are kept even when late;
      // readings the next poll reads again.
      if (r.ok() && (read.slow || read.reader == Reader::system))
        run->keep_body(resource_of(read.path), r.body);
      if (run->finished) return;
      run->note(r, false);
      if (r.ok()) {
        run->arrived.push_back({read, std::move(r.body)});
      } else {
        ++run->missing;
      }
      run->pump();
    });
  }

  // Discovery answers are kept even after this poll ended: the walk goes on.
  void fetched(const Fetch& f, const HttpResponse& r) {
    auto& impl = *self;
    const bool was_complete = discovery->complete();
    discovery->done(f, r);
    const bool current = impl.discovery == discovery;
    if (current) impl.published = discovery->publish();
    if (current && !was_complete && discovery->complete()) impl.model_settled("");
    if (finished) return;
    note(r, true);
    plan_chassis();
    plan_slow();
    pump();
  }

  void keep_body(const std::string& path, const Json& body) {
    discovery->model().bodies[path] = body;
    if (self->discovery == discovery) self->published = discovery->publish();
  }

  void plan_chassis() {
    const auto& m = discovery->model();
    for (const auto& c : m.chassis) {
      if (!c.has_readings || !discovery->chassis_ready(c.path) || !planned.insert(c.path).second)
        continue;
      auto add = [&](Reader r, const std::string& path) {
        if (!path.empty()) todo.push_back({r, path, c.path, false});
      };
      if (!c.subsystem) {
        add(Reader::thermal, c.thermal);
        add(Reader::power, c.power);
        continue;
      }
      if (m.expand && !c.sensors.empty()) {
        add(Reader::sensors, c.sensors + kExpandMembers);
      } else {
        add(Reader::thermal_metrics, c.thermal_metrics);
        for (const auto& f : c.fan_members) add(Reader::fan, f);
      }
      add(Reader::environment, c.environment);
      if (m.expand && !c.controls.empty()) add(Reader::controls, c.controls + kExpandMembers);
      for (const auto& ctl : c.control_members) add(Reader::control, ctl);
      if (c.reads_legacy_power()) add(Reader::power, c.power);
      for (const auto& psu : c.supply_metrics) add(Reader::supply_metrics, psu);
      for (const auto& sensor : c.sensor_members) add(Reader::sensor, sensor);
    }
  }

  // Manager, NetworkProtocol, media and the vendor's OEM resources change
  // rarely: read every slow_interval (discovery's bodies serve meanwhile).
  void plan_slow() {
    auto& d = *discovery;
    const auto& m = d.model();
    if (!m.complete || slow_planned) return;
    slow_planned = true;
    const auto now = Clock::now();
    const bool due =
        d.slow_read_at != Clock::time_point{} && now - d.slow_read_at >= self->opt.slow_interval;
    if (d.slow_read_at == Clock::time_point{} || due) d.slow_read_at = now;
    auto add = [&](Reader r, const std::string& path) {
      if (!path.empty() && (due || !m.bodies.contains(path))) todo.push_back({r, path, "", true});
    };
    if (const auto* mgr = m.manager()) {
      add(Reader::manager, mgr->path);
      add(Reader::protocol, mgr->network_protocol);
    }
    for (const auto& media : m.media) add(Reader::media, media.path);
    for (const auto& path : m.oem_resources) add(Reader::oem, path);
    // Sensors read one by one: the list (sensors come and go with hot-plug
    // parts) only on the slow schedule; discovery read it first.
    if (due)
      for (const auto& c : m.chassis)
        if (c.sensors_one_by_one) todo.push_back({Reader::sensor_list, c.sensors, c.path, false});
  }

  void finish_at_deadline() {
    if (finished) return;
    const auto left = todo.size() + reads_out;
    missing += unsigned(left);
    if (snap.error.empty())
      snap.error = fmt::format(
          "{}: the poll deadline (bmc.redfish.poll_deadline, {} ms) passed with {} reads and "
          "{} discovery links left; the next poll goes on from there",
          self->opt.url, self->opt.poll_deadline.count(), left, discovery->left());
    if (snap.error_kind == ProblemKind::unknown) snap.error_kind = ProblemKind::timeout;
    finish();
  }

  void finish();
  void apply();
};

ChassisContext context_of(const Model& m, const std::string& path) {
  for (const auto& c : m.chassis)
    if (c.path == path) return {c.id, c.role, c.role == "server"};
  return {};
}

void apply_one(const Arrived& a, const Model& m, Snapshot& s) {
  const auto& body = a.body;
  const auto c = context_of(m, a.read.chassis);
  const auto path = resource_of(a.read.path);
  switch (a.read.reader) {
    case Reader::thermal:
      return read_legacy_thermal(body, c, s);
    case Reader::power:
      return read_legacy_power(body, path, c, s);
    case Reader::sensors:
      return read_sensors(body, c, s);
    case Reader::thermal_metrics:
      return read_thermal_metrics(body, c, s);
    case Reader::fan:
      return read_fan(body, c, s);
    case Reader::environment:
      return read_environment(body, c, s);
    case Reader::controls:
      return read_controls(body, c, s);
    case Reader::control:
      return read_control(body, c, s);
    case Reader::sensor:
      return read_sensor(body, c, s);
    case Reader::supply_metrics:
      return read_power_supply_metrics(body, c, s);
    default:
      return;  // slow bodies are applied from the model
  }
}

// The slow-schedule bodies, fresh or from the model, after the readings.
void apply_slow(const Model& m, Snapshot& s) {
  auto body = [&](const std::string& path) {
    auto it = m.bodies.find(path);
    return it == m.bodies.end() ? Json() : it->second;
  };
  if (const auto* mgr = m.manager()) {
    if (m.bodies.contains(mgr->path)) read_manager(body(mgr->path), s);
    if (m.bodies.contains(mgr->network_protocol))
      read_network_protocol(body(mgr->network_protocol), s);
  }
  for (const auto& media : m.media) {
    if (!m.bodies.contains(media.path)) continue;
    auto slot = read_media(body(media.path), media.path, media.owner);
    slot.id = media.id;  // unique across owners, as the model settled it
    s.media.push_back(std::move(slot));
  }
  if (m.vendor)
    for (const auto& path : m.oem_resources)
      if (m.bodies.contains(path)) m.vendor->read(path, body(path), s);
}

const char* data_model_of(const Model& m) {
  bool legacy = false, subsystem = false;
  for (const auto& c : m.chassis)
    if (c.has_readings) (c.subsystem ? subsystem : legacy) = true;
  return legacy && subsystem ? "mixed" : legacy ? "legacy" : subsystem ? "subsystem" : "";
}

ChassisModel* chassis_at(Model& m, const std::string& path) {
  for (auto& c : m.chassis)
    if (c.path == path) return &c;
  return nullptr;
}

// What a poll's answers teach the model about what later polls need to read.
void learn(Model& m, const Arrived& a) {
  auto* c = chassis_at(m, a.read.chassis);
  if (!c) return;
  switch (a.read.reader) {
    case Reader::sensors:
      // A chassis whose only readable link is an empty Sensors collection
      // (ERoTs, CPLDs) has nothing to read: later polls skip it.
      if (a.body["Members"].size() == 0 && c->environment.empty() && c->controls.empty() &&
          c->power.empty() && c->thermal_subsystem.empty() && c->power_subsystem.empty())
        c->has_readings = false;
      return;
    case Reader::sensor:
      // A voltage or current sensor read once is not read again.
      if (!temperature_or_fan(a.body)) std::erase(c->sensor_members, resource_of(a.read.path));
      return;
    case Reader::sensor_list:
      return take_sensor_list(*c, a.body);
    default:
      return;
  }
}

void Run::apply() {
  auto& m = discovery->model();
  auto& s = snap;
  std::stable_sort(arrived.begin(), arrived.end(), [](const Arrived& a, const Arrived& b) {
    return std::tie(a.read.chassis, a.read.reader, a.read.path) <
           std::tie(b.read.chassis, b.read.reader, b.read.path);
  });
  // The System as this poll read it (kept in the model), else as discovery did.
  const auto* sys = m.system();
  if (sys && m.bodies.contains(sys->path)) read_system(m.bodies[sys->path], s);
  std::set<std::string> read_chassis;
  for (const auto& a : arrived) {
    apply_one(a, m, s);
    if (!a.read.chassis.empty() && a.read.reader != Reader::sensor_list)
      read_chassis.insert(a.read.chassis);
    learn(m, a);
  }
  apply_slow(m, s);
  settle_power(s);
  if (m.manager()) s.manager_path = m.manager()->path;
  if (sys) s.system_path = sys->path;
  for (const auto* fallback : {&m.root_vendor, &s.system_manufacturer, &m.root_oem})
    if (!s.vendor && *fallback && !(*fallback)->empty()) s.vendor = *fallback;
  if (m.vendor) s.vendor_profile = m.vendor->name();
  s.data_model = data_model_of(m);
  s.chassis_total = unsigned(m.chassis.size());
  s.chassis_read = unsigned(read_chassis.size());
  for (const auto& l : m.logs) {
    LogFill fill{l.id, l.kind, l.path, l.entries_path, {}, l.capacity, l.capacity_problem};
    if (auto it = self->log_entries.find(l.id); it != self->log_entries.end())
      fill.entries = it->second;
    s.logs.push_back(std::move(fill));
  }
}

void Run::finish() {
  if (finished) return;
  finished = true;
  timer->cancel();
  auto& impl = *self;
  apply();
  snap.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  snap.taken = std::chrono::system_clock::now();
  snap.up = answered && !failed;
  const bool model_complete = discovery->complete();
  if (snap.error.empty() && !model_complete)
    snap.error = fmt::format("{}: discovery of the BMC is not finished; the next poll goes on",
                             impl.opt.url);
  snap.complete = snap.up && !stale && missing == 0 && model_complete && snap.error.empty();
  if (stale && impl.discovery == discovery) impl.discovery.reset();
  if (impl.discovery == discovery) impl.published = discovery->publish();
  if (snap.up) {
    impl.poll_backoff.succeed();
    impl.next_poll_at = {};
  } else {
    impl.next_poll_at = Clock::now() + impl.poll_backoff.fail();
  }
  auto result = std::make_shared<const Snapshot>(std::move(snap));
  impl.last = result;
  impl.polling = false;
  if (!impl.model_waiters.empty() && !model_complete) impl.model_settled(result->error);
  if (result->up && model_complete) impl.count_logs();
  auto waiters = std::move(impl.poll_waiters);
  impl.poll_waiters.clear();
  handler(result);
  for (auto& w : waiters) w(result);
}

// A poll that does not walk the BMC: shutting down, or backing off and the
// probe found it still down.
void refuse(Client::Impl& impl, SnapshotHandler handler, std::string error, unsigned requests) {
  auto snap = std::make_shared<Snapshot>();
  snap->error = std::move(error);
  snap->requests = requests;
  snap->taken = std::chrono::system_clock::now();
  if (impl.last && !impl.last->error.empty() && impl.last->error != snap->error)
    snap->error += "; last error: " + impl.last->error;
  std::shared_ptr<const Snapshot> result = snap;
  impl.last = result;
  impl.polling = false;
  impl.model_settled(result->error);
  auto waiters = std::move(impl.poll_waiters);
  impl.poll_waiters.clear();
  handler(result);
  for (auto& w : waiters) w(result);
}

void start_run(const std::shared_ptr<Client::Impl>& impl, SnapshotHandler handler,
               unsigned requests) {
  if (!impl->discovery) impl->discovery = std::make_shared<Discovery>(impl->opt.data_model);
  impl->retry_login();
  auto run = std::make_shared<Run>();
  run->self = impl;
  run->discovery = impl->discovery;
  run->handler = std::move(handler);
  run->deadline = Clock::now() + impl->opt.poll_deadline;
  run->snap.requests = requests;
  run->answered = requests > 0;  // the probe that let this poll start
  run->start();
}

// Counts one log after another, so counting never holds more than one of the
// BMC's request slots, and stops starting new counts after its budget.
struct LogCount : std::enable_shared_from_this<LogCount> {
  std::shared_ptr<Client::Impl> self;
  std::shared_ptr<Discovery> discovery;
  std::vector<LogModel> logs;
  std::size_t next = 0;
  Clock::time_point until;

  void step() {
    auto& impl = *self;
    if (next >= logs.size() || Clock::now() >= until) {
      impl.counting_logs = false;
      impl.logs_counted_at = Clock::now();
      return;
    }
    const auto& log = logs[next];
    if (log.entries_path.empty()) {
      ++next;
      return step();
    }
    // $top=1: the BMC says Members@odata.count without listing the entries.
    const bool top = discovery->model().top_skip;
    const auto path =
        top ? log.entries_path +
                  (log.entries_path.find('?') == std::string::npos ? "?$top=1" : "&$top=1")
            : log.entries_path;
    impl.submit(Request{"GET", path, "", "", [task = shared_from_this(), top](HttpResponse r) {
                          task->counted(r, top);
                        }});
  }

  void counted(const HttpResponse& r, bool top) {
    if (top && (r.status == 400 || r.status == 501)) {
      discovery->model().top_skip = false;  // advertised but refused: count without it
      return step();
    }
    if (r.ok())
      if (auto n = count_members(r.body)) self->log_entries[logs[next].id] = *n;
    ++next;
    step();
  }
};

}  // namespace

void Client::Impl::count_logs() {
  if (counting_logs || !discovery || discovery->model().logs.empty()) return;
  const auto now = Clock::now();
  if (logs_counted_at != Clock::time_point{} && now - logs_counted_at < opt.log_interval) return;
  counting_logs = true;
  auto task = std::make_shared<LogCount>();
  task->self = shared_from_this();
  task->discovery = discovery;
  task->logs = discovery->model().logs;
  // The SEL first: it feeds the alerts; other logs as the budget allows.
  std::stable_partition(task->logs.begin(), task->logs.end(),
                        [](const LogModel& l) { return l.kind == "sel"; });
  task->until = now + std::max(opt.request_timeout, opt.log_interval / 2);
  // After the poll that triggered it has handed over its snapshot.
  boost::asio::post(io, [task] { task->step(); });
}

void Client::Impl::model_settled(const std::string& error) {
  auto waiters = std::move(model_waiters);
  model_waiters.clear();
  for (auto& w : waiters) w(published, published && published->complete ? "" : error);
}

void Client::Impl::discover(ModelHandler handler) {
  if (discovery && discovery->complete() && published) {
    boost::asio::post(io, [handler, model = published] { handler(model, ""); });
    return;
  }
  model_waiters.push_back(std::move(handler));
  if (!polling) poll([](std::shared_ptr<const Snapshot>) {});
}

void Client::Impl::poll(SnapshotHandler handler) {
  if (polling) {  // single flight: one walk of the BMC serves every caller
    poll_waiters.push_back(std::move(handler));
    return;
  }
  polling = true;
  auto self = shared_from_this();
  if (closing) {
    boost::asio::post(
        io, [self, handler] { refuse(*self, handler, "the Redfish client is shutting down", 0); });
    return;
  }
  if (Clock::now() >= next_poll_at) return start_run(self, std::move(handler), 0);
  // Backing off: one cheap anonymous probe, so a BMC that is back is polled
  // at once instead of after the whole back-off.
  Request probe{"GET", "/redfish/v1", "", "", nullptr};
  probe.anonymous = true;
  probe.handler = [self, handler](HttpResponse r) {
    if (r.ok()) {
      self->poll_backoff.succeed();
      self->next_poll_at = {};
      return start_run(self, handler, 1);
    }
    refuse(*self, handler,
           fmt::format("backing off after {} failed polls of {}; the probe of the service root "
                       "failed: {}",
                       self->poll_backoff.failures(), self->opt.url, r.error),
           1);
  };
  submit(std::move(probe));
}

std::shared_ptr<const Model> Client::model() const { return impl_->published; }

void Client::discover(ModelHandler handler) { impl_->discover(std::move(handler)); }

}  // namespace bmcquiet::redfish
