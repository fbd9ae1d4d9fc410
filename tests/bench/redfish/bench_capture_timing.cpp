// Every shared real BMC capture (../shared/redfish-mockups) at the per-request
// latency its README measured on the real machine, served by a bmcsim that
// answers one request at a time, read by bmcquiet's client with the shipped
// defaults (issue 12, item 8):
//  - time to the first successful poll, polling every 10 s like the daemon;
//  - requests and wall time of discovery (Client::discover on its own BMC),
//    of the first poll and of a steady poll (the 2nd after the first success);
//  - versus a naive full walk of the same data (every @odata.id link from
//    /redfish/v1, counted on the capture's files; its wall time at a
//    serialised BMC is the sum of the profile's per-request latencies).
// Target: every capture up within 60 s; steady-poll requests <= 1/3 of the walk's.
// All captures run at once (one BMC each), at most ~100 s.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>

#include "redfish/client.hpp"
#include "sim_process.hpp"
#include "support/capture_timing.hpp"

namespace {

using namespace std::chrono_literals;
using namespace bmcquiet;
using Clock = std::chrono::steady_clock;
using Poll = test::DaemonLikePoller::Poll;

constexpr auto kCap = 100s;  // per capture: long enough to show "not within 60 s"

struct Cost {
  double requests = 0, seconds = 0;
};

// One capture: a BMC polled like the daemon, another only discovered.
struct CaptureRun {
  std::string name;
  bmcsim::LatencyProfile profile;
  test::FullWalk walk;
  std::unique_ptr<bench::SimProcess> polled_bmc, discovered_bmc;
  std::shared_ptr<redfish::Client> poll_client, discover_client;
  std::unique_ptr<test::DaemonLikePoller> poller;
  std::optional<Cost> discovery;
  std::string discovery_error;
  bool discovery_done = false;

  const Poll* steady() const {  // the 2nd poll after the first success
    const auto& polls = poller->polls();
    for (std::size_t i = 0; i < polls.size(); ++i)
      if (polls[i].up) return i + 2 < polls.size() ? &polls[i + 2] : nullptr;
    return nullptr;
  }
  bool finished() const { return discovery_done && steady(); }
};

std::vector<std::string> sim_args(const bmcsim::LatencyProfile& p) {
  if (p.source.empty())
    return {"--serialize", "--latency-ms", std::to_string(test::kNoReadmeLatency.count())};
  return {"--serialize", "--latency-profile", p.source};
}

std::unique_ptr<CaptureRun> start_capture(boost::asio::io_context& io,
                                          const std::filesystem::path& folder,
                                          const std::string& password_file) {
  auto run = std::make_unique<CaptureRun>();
  run->name = folder.filename().string();
  run->profile = test::capture_latency(folder);
  run->walk = test::full_walk(folder, run->profile);
  const auto args = sim_args(run->profile);
  run->polled_bmc = std::make_unique<bench::SimProcess>(BMCQUIET_BINARY_DIR, folder.string(), args);
  run->discovered_bmc =
      std::make_unique<bench::SimProcess>(BMCQUIET_BINARY_DIR, folder.string(), args);
  run->poll_client = redfish::Client::create(
      io, test::default_client_options(run->polled_bmc->url(), password_file), nullptr);
  run->discover_client = redfish::Client::create(
      io, test::default_client_options(run->discovered_bmc->url(), password_file), nullptr);
  const auto* polled = run->polled_bmc.get();
  run->poller = std::make_unique<test::DaemonLikePoller>(
      io, run->poll_client, [polled] { return polled->stat("requests"); });
  return run;
}

void start_discovery(CaptureRun& run) {
  const auto t0 = Clock::now();
  run.discover_client->discover(
      [&run, t0](std::shared_ptr<const redfish::Model> model, std::string error) {
        run.discovery_done = true;
        run.discovery_error = error;
        if (model)
          run.discovery = Cost{run.discovered_bmc->stat("requests"),
                               std::chrono::duration<double>(Clock::now() - t0).count()};
      });
}

std::string cost(const Poll* p) {
  if (!p) return "-";
  return fmt::format("{:.0f} / {:.1f} s{}", p->bmc_requests, p->seconds, p->up ? "" : " DOWN");
}

// Client::discover's own figures; until it is built, the first successful
// poll minus a steady one (discovery is what the first poll does on top).
std::string discovery_cost(const CaptureRun& r) {
  if (r.discovery)
    return fmt::format("{:.0f} / {:.1f} s", r.discovery->requests, r.discovery->seconds);
  const auto& polls = r.poller->polls();
  const auto* steady = r.steady();
  if (!steady || !polls[0].up) return "n/a";
  return fmt::format("~{:.0f} / {:.1f} s*", polls[0].bmc_requests - steady->bmc_requests,
                     polls[0].seconds - steady->seconds);
}

void print_row(const CaptureRun& r) {
  const auto& polls = r.poller->polls();
  const auto up = r.poller->first_up_at();
  const auto* steady = r.steady();
  const auto first_up = up ? fmt::format("{:.1f} s", *up) : fmt::format("never<{}s", kCap.count());
  const auto walk = fmt::format("{} / {:.0f} s", r.walk.requests, r.walk.seconds);
  const auto ratio = steady ? fmt::format("{:.3f}", steady->bmc_requests / r.walk.requests) : "-";
  std::printf("%-32s %10s %16s %16s %16s %16s %9s\n", r.name.c_str(), first_up.c_str(),
              discovery_cost(r).c_str(), cost(polls.empty() ? nullptr : &polls[0]).c_str(),
              cost(steady).c_str(), walk.c_str(), ratio.c_str());
}

void print_table(const std::vector<std::unique_ptr<CaptureRun>>& runs) {
  std::printf(
      "Real BMC timing: serialised bmcsim at each capture's README latency, default "
      "ClientOptions, a poll every %lld s\n",
      static_cast<long long>(test::kDaemonInterval.count()));
  std::printf("requests / wall; requests as bmcsim counted them (incl. login)\n\n");
  std::printf("%-32s %10s %16s %16s %16s %16s %9s\n", "capture", "first up", "discovery",
              "first poll", "steady poll", "full walk", "steady/walk");
  for (const auto& r : runs) print_row(*r);
  std::printf(
      "\ntargets: first up <= 60 s; steady/walk <= 0.33\n"
      "steady poll: the 2nd poll after the first successful one; full walk: resources the "
      "capture holds (links to ones it lacks are listed as dangling, not counted); discovery: "
      "Client::discover() on a BMC of its own (* when it failed: first poll minus steady "
      "poll)\n\nper capture:\n");
  for (const auto& r : runs)
    std::printf("%s: %s; walk: %zu resources + %zu dangling links, %zu Celsius readings%s\n%s",
                r->name.c_str(), test::describe(r->profile).c_str(), r->walk.requests,
                r->walk.dangling, r->walk.temperatures,
                r->discovery_error.empty() ? "" : ("; discover(): " + r->discovery_error).c_str(),
                r->poller->history().c_str());
}

}  // namespace

int main() {
  const auto folders = test::shared_capture_folders();
  if (folders.empty()) {
    std::fprintf(stderr, "no captures in %s\n", test::shared_captures_root().c_str());
    return 1;
  }
  const std::string password_file = "/tmp/bench-capture-password-" + std::to_string(::getpid());
  std::ofstream(password_file) << "secret";
  ::chmod(password_file.c_str(), 0600);

  boost::asio::io_context io;  // first: outlives the clients
  std::vector<std::unique_ptr<CaptureRun>> runs;
  for (const auto& folder : folders) runs.push_back(start_capture(io, folder, password_file));
  const auto started = Clock::now();
  for (auto& r : runs) {
    r->poller->start();
    start_discovery(*r);
  }
  auto all_finished = [&] {
    for (const auto& r : runs)
      if (!r->finished()) return false;
    return true;
  };
  while (!all_finished() && Clock::now() - started < kCap) io.run_one_for(100ms);
  for (auto& r : runs) r->poller->stop();
  std::remove(password_file.c_str());
  print_table(runs);
  return 0;
}
