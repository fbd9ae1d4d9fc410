// One Redfish poll cycle, two ways, against the same simulated BMC:
//  - bmcquiet's client: links discovered once and cached, $expand where
//    advertised, two requests in flight on kept-alive connections, one session;
//  - a naive sequential walk: what a script does every cycle (follow every
//    link from the root one GET at a time, new connection and basic auth each).
// Prints requests, connections and wall time per cycle and their ratios.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "redfish/client.hpp"
#include "sim_process.hpp"

namespace {

using namespace std::chrono_literals;
using bench::http;
using bmcquiet::redfish::Json;
using Clock = std::chrono::steady_clock;

// Every link a script would follow for the same readings, one GET at a time.
void naive_walk(const std::string& base, const std::string& path, std::set<std::string>& seen,
                int depth) {
  if (path.empty() || depth > 6 || !seen.insert(path).second) return;
  auto body = Json::parse(http(base + path, true));
  if (!body) return;
  static const char* follow[] = {"Chassis",
                                 "Managers",
                                 "Systems",
                                 "Thermal",
                                 "Power",
                                 "ThermalSubsystem",
                                 "ThermalMetrics",
                                 "Fans",
                                 "Sensors",
                                 "Controls",
                                 "EnvironmentMetrics",
                                 "PowerSubsystem",
                                 "LogServices",
                                 "Entries",
                                 "VirtualMedia",
                                 "NetworkProtocol"};
  for (const char* key : follow) naive_walk(base, (*body)[key].link(), seen, depth + 1);
  const auto members = (*body)["Members"];
  if (path.find("/Entries") == std::string::npos)  // entries are counted, not walked
    for (std::size_t i = 0; i < members.size(); ++i)
      naive_walk(base, members[i].link(), seen, depth + 1);
}

struct Cycle {
  double requests, connections, seconds;
};

void print(const char* what, const Cycle& c) {
  std::printf("  %-34s %8.0f %12.0f %9.2f s\n", what, c.requests, c.connections, c.seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mockup =
      argc > 1 ? argv[1] : std::string(BMCQUIET_FIXTURES) + "/redfish/subsystem";
  const std::string latency = argc > 2 ? argv[2] : "200";
  bench::SimProcess sim(BMCQUIET_BINARY_DIR, mockup, {"--latency-ms", latency});
  const std::string base = sim.url();

  boost::asio::io_context io;
  bmcquiet::redfish::ClientOptions o;
  o.url = base;
  o.username = "admin";
  o.password_credential = "";
  o.password_file = "/tmp/bench-redfish-password-" + std::to_string(::getpid());
  std::ofstream(o.password_file) << "secret";
  ::chmod(o.password_file.c_str(), 0600);
  o.insecure = true;
  o.poll_deadline = 120s;
  o.request_timeout = 60s;
  auto client = bmcquiet::redfish::Client::create(io, o, nullptr);
  auto poll = [&] {
    sim.reset_stats();
    const auto t0 = Clock::now();
    bool done = false, up = false;
    client->poll([&](auto s) { done = true, up = s->up; });
    io.restart();
    while (!done) io.run_one_for(100ms);
    if (!up) std::fprintf(stderr, "poll failed: %s\n", client->last_snapshot()->error.c_str());
    return Cycle{sim.stat("requests"), sim.stat("connections"),
                 std::chrono::duration<double>(Clock::now() - t0).count()};
  };
  const auto first = poll();
  Cycle steady{0, 0, 0};
  const int cycles = 3;
  for (int i = 0; i < cycles; ++i) {
    auto c = poll();
    steady = {steady.requests + c.requests / cycles, steady.connections + c.connections / cycles,
              steady.seconds + c.seconds / cycles};
  }
  sim.reset_stats();
  const auto t0 = Clock::now();
  std::set<std::string> seen;
  naive_walk(base, "/redfish/v1", seen, 0);
  const Cycle naive{sim.stat("requests"), sim.stat("connections"),
                    std::chrono::duration<double>(Clock::now() - t0).count()};
  std::remove(o.password_file.c_str());

  std::printf("Redfish poll cycle against bmcsim (%s, %s ms per request)\n", mockup.c_str(),
              latency.c_str());
  std::printf("  %-34s %8s %12s %11s\n", "", "requests", "connections", "wall");
  print("bmcquiet, first poll (discovery)", first);
  print("bmcquiet, steady poll (mean of 3)", steady);
  print("naive sequential walk, every cycle", naive);
  std::printf("  naive/bmcquiet steady: %.1fx requests, %.1fx wall time\n",
              naive.requests / steady.requests, naive.seconds / steady.seconds);
  return 0;
}
