// The shared real BMC captures (../shared/redfish-mockups) at their real
// timings: which folders there are, each one's measured per-request latency,
// what a naive full walk of its data costs at that latency, and a poller that
// calls the Redfish client the way the daemon's scheduler does. Used by the
// real-timing test and benchmark; free of Catch2 so the benchmark links it.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redfish/client.hpp"
#include "tools/bmcsim/latency_profile.hpp"

namespace boost::asio {
class io_context;
}

namespace bmcquiet::test {

// The latency of a capture that has no README with measured timings.
inline constexpr std::chrono::milliseconds kNoReadmeLatency{400};
// The daemon's default collection interval.
inline constexpr std::chrono::seconds kDaemonInterval{10};

// ../shared/redfish-mockups beside the source tree; folders holding redfish/v1.
std::filesystem::path shared_captures_root();
std::vector<std::filesystem::path> shared_capture_folders();

// The capture's README timings, or kNoReadmeLatency for every path when it has
// none (source is then ""). Throws std::runtime_error on an unreadable README.
bmcsim::LatencyProfile capture_latency(const std::filesystem::path& folder);
// "avg 190 ms, 18022 ms for /redfish/v1/..." or "400 ms every request (no README)".
std::string describe(const bmcsim::LatencyProfile& profile);

// What a script that GETs every @odata.id link from /redfish/v1 (breadth
// first, each once) fetches from the capture, and its wall time at a BMC that
// serves one request at a time at the profile's latencies.
struct FullWalk {
  std::size_t requests = 0;      // resources the capture holds that the walk reaches
  std::size_t dangling = 0;      // links to resources the capture lacks (404 on the BMC)
  double seconds = 0;            // the sum of the reached resources' latencies
  std::size_t temperatures = 0;  // Celsius readings present in the reached resources
};
FullWalk full_walk(const std::filesystem::path& folder, const bmcsim::LatencyProfile& profile);

// Only what a new user sets: url, credentials, insecure (the sim's certificate
// is throwaway). Everything else stays the shipped default.
redfish::ClientOptions default_client_options(const std::string& url,
                                              const std::string& password_file);

// Polls like lib/collectors/scheduler.cpp: the first poll at once, then on a
// fixed rate; a tick that finds the previous poll still running is skipped.
class DaemonLikePoller {
 public:
  struct Poll {
    double start_s = 0, seconds = 0;  // from the poller's start
    bool up = false;
    double bmc_requests = 0;  // as the BMC counted them (request_count delta)
    unsigned client_requests = 0;
    std::size_t temperatures = 0;
    std::string error;
  };
  // request_count: the BMC's total request counter (the sim's /stats).
  DaemonLikePoller(boost::asio::io_context& io, std::shared_ptr<redfish::Client> client,
                   std::function<double()> request_count,
                   std::chrono::milliseconds interval = kDaemonInterval);
  ~DaemonLikePoller();
  DaemonLikePoller(const DaemonLikePoller&) = delete;
  DaemonLikePoller& operator=(const DaemonLikePoller&) = delete;

  void start();
  void stop();  // no further polls; a running one still records its result
  bool polling() const;
  const std::vector<Poll>& polls() const;
  // The first poll whose snapshot said up, and when it arrived (s from start).
  std::shared_ptr<const redfish::Snapshot> first_up() const;
  std::optional<double> first_up_at() const;
  // One line per poll, for INFO and the benchmark's notes.
  std::string history() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace bmcquiet::test
