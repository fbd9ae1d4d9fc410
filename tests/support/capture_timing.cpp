#include "support/capture_timing.hpp"

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace bmcquiet::test {
namespace fs = std::filesystem;
using redfish::Json;
using Clock = std::chrono::steady_clock;

fs::path shared_captures_root() {
  return fs::path(BMCQUIET_SOURCE_DIR) / ".." / "shared" / "redfish-mockups";
}

std::vector<fs::path> shared_capture_folders() {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(shared_captures_root(), ec))
    if (fs::is_directory(entry.path() / "redfish" / "v1")) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

bmcsim::LatencyProfile capture_latency(const fs::path& folder) {
  const auto readme = folder / "README";
  if (!fs::exists(readme)) return {"", kNoReadmeLatency, {}};
  std::string error;
  auto profile = bmcsim::load_latency_profile(readme.string(), &error);
  if (!profile) throw std::runtime_error(error);
  return *profile;
}

std::string describe(const bmcsim::LatencyProfile& p) {
  const auto avg = p.average.value_or(kNoReadmeLatency).count();
  if (p.source.empty()) return fmt::format("{} ms every request (no README)", avg);
  std::string out = fmt::format("avg {} ms", avg);
  for (const auto& [path, ms] : p.paths) out += fmt::format(", {} ms for {}", ms.count(), path);
  return out;
}

namespace {

// The capture's resources by path, as bmcsim serves them.
std::map<std::string, Json> load_capture(const fs::path& folder) {
  std::map<std::string, Json> out;
  const auto base = folder / "redfish" / "v1";
  for (const auto& entry : fs::recursive_directory_iterator(base)) {
    if (entry.path().filename() != "index.json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto body = Json::parse(text.str());
    if (!body) continue;
    auto rel = fs::relative(entry.path().parent_path(), base).generic_string();
    out["/redfish/v1" + (rel == "." ? std::string() : "/" + rel)] = *body;
  }
  return out;
}

std::string link_path(std::string link) {
  link = link.substr(0, link.find('#'));  // a JSON pointer into a resource already walked
  while (link.size() > 1 && link.back() == '/') link.pop_back();
  return link;
}

// Every @odata.id anywhere in v (its own included: the walk skips seen ones).
void collect_links(const Json& v, std::vector<std::string>& out) {
  if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) collect_links(v[i], out);
    return;
  }
  if (!v.is_object()) return;
  for (const auto& key : v.keys()) {
    if (key == "@odata.id") {
      if (auto s = v[key].string(); s && s->starts_with("/redfish/v1")) out.push_back(*s);
      continue;
    }
    collect_links(v[key], out);
  }
}

bool present(const Json& item) {
  const auto state = item["Status"]["State"].string().value_or("Enabled");
  return state != "Absent" && state != "Disabled";
}

// Celsius readings in one body: legacy Thermal, Sensor, ThermalMetrics.
std::size_t temperatures_in(const Json& body) {
  std::size_t n = 0;
  const auto legacy = body["Temperatures"];
  for (std::size_t i = 0; i < legacy.size(); ++i)
    n += legacy[i]["ReadingCelsius"].is_number() && present(legacy[i]);
  if (body["ReadingType"].string() == "Temperature" && body["ReadingUnits"].string() == "Cel" &&
      body["Reading"].is_number() && present(body))
    ++n;
  const auto metrics = body["TemperatureReadingsCelsius"];
  for (std::size_t i = 0; i < metrics.size(); ++i) n += metrics[i]["Reading"].is_number();
  return n;
}

}  // namespace

FullWalk full_walk(const fs::path& folder, const bmcsim::LatencyProfile& profile) {
  const auto capture = load_capture(folder);
  FullWalk walk;
  std::set<std::string> seen{"/redfish/v1"};
  std::deque<std::string> queue{"/redfish/v1"};
  while (!queue.empty()) {
    const auto path = queue.front();
    queue.pop_front();
    const auto it = capture.find(path);
    if (it == capture.end()) {
      ++walk.dangling;
      continue;
    }
    ++walk.requests;
    walk.seconds += std::chrono::duration<double>(profile.for_path(path, kNoReadmeLatency)).count();
    walk.temperatures += temperatures_in(it->second);
    std::vector<std::string> links;
    collect_links(it->second, links);
    for (auto& l : links)
      if (seen.insert(link_path(l)).second) queue.push_back(link_path(l));
  }
  return walk;
}

redfish::ClientOptions default_client_options(const std::string& url,
                                              const std::string& password_file) {
  redfish::ClientOptions o;
  o.url = url;
  o.username = "admin";
  o.password_credential = "";  // no $CREDENTIALS_DIRECTORY outside systemd: the file
  o.password_file = password_file;
  o.insecure = true;
  return o;
}

struct DaemonLikePoller::State : std::enable_shared_from_this<State> {
  State(boost::asio::io_context& io, std::shared_ptr<redfish::Client> c,
        std::function<double()> count, std::chrono::milliseconds every)
      : client(std::move(c)), request_count(std::move(count)), interval(every), timer(io) {}

  std::shared_ptr<redfish::Client> client;
  std::function<double()> request_count;
  std::chrono::milliseconds interval;
  boost::asio::steady_timer timer;
  Clock::time_point started{}, next_due{};
  bool in_flight = false, stopped = false;
  std::vector<Poll> polls;
  std::shared_ptr<const redfish::Snapshot> first_up;
  std::optional<double> first_up_at;

  double since_start() const {
    return std::chrono::duration<double>(Clock::now() - started).count();
  }

  void schedule() {
    timer.expires_at(next_due);
    timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (auto self = weak.lock(); self && !ec && !self->stopped) self->tick();
    });
  }

  void tick() {
    const auto now = Clock::now();
    next_due += interval;
    if (next_due <= now) next_due = now + interval;
    schedule();
    if (!in_flight) poll_once();
  }

  void poll_once() {
    in_flight = true;
    Poll p;
    p.start_s = since_start();
    const double before = request_count();
    client->poll([weak = weak_from_this(), p, before](auto snap) mutable {
      auto self = weak.lock();
      if (!self) return;
      self->in_flight = false;
      p.seconds = self->since_start() - p.start_s;
      p.up = snap->up;
      p.bmc_requests = self->request_count() - before;
      p.client_requests = snap->requests;
      p.temperatures = snap->temperatures.size();
      p.error = snap->error;
      if (snap->up && !self->first_up) {
        self->first_up = snap;
        self->first_up_at = self->since_start();
      }
      self->polls.push_back(std::move(p));
    });
  }
};

DaemonLikePoller::DaemonLikePoller(boost::asio::io_context& io,
                                   std::shared_ptr<redfish::Client> client,
                                   std::function<double()> request_count,
                                   std::chrono::milliseconds interval)
    : state_(std::make_shared<State>(io, std::move(client), std::move(request_count), interval)) {}

DaemonLikePoller::~DaemonLikePoller() { stop(); }

void DaemonLikePoller::start() {
  state_->started = state_->next_due = Clock::now();
  state_->schedule();
}

void DaemonLikePoller::stop() {
  state_->stopped = true;
  state_->timer.cancel();
}

bool DaemonLikePoller::polling() const { return state_->in_flight; }
const std::vector<DaemonLikePoller::Poll>& DaemonLikePoller::polls() const { return state_->polls; }
std::shared_ptr<const redfish::Snapshot> DaemonLikePoller::first_up() const {
  return state_->first_up;
}
std::optional<double> DaemonLikePoller::first_up_at() const { return state_->first_up_at; }

std::string DaemonLikePoller::history() const {
  std::string out;
  for (const auto& p : state_->polls)
    out += fmt::format("  poll at {:5.1f} s: {:5.1f} s, {} requests (BMC counted {:.0f}), {}{}\n",
                       p.start_s, p.seconds, p.client_requests, p.bmc_requests,
                       p.up ? "up" : "DOWN", p.error.empty() ? "" : ": " + p.error);
  if (state_->in_flight) out += "  (a poll still running)\n";
  return out;
}

}  // namespace bmcquiet::test
