// What "nothing cleared unarchived" costs a slow BMC: one SEL archive-and-
// clear (read every page, archive, re-read every page and compare, ClearLog)
// against bmcsim serving one request at a time. Figures: requests and wall
// time for the read alone and for the whole act, so the price of the
// pre-clear re-read shows. Not run by ctest (about 60 s):
//   build-*/tests/bench/redfish/bench_sel_clear
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "policy/redfish_items.hpp"
#include "policy/sel_item.hpp"
#include "redfish/client.hpp"
#include "sim_process.hpp"

using namespace bmcquiet;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kSel = "/redfish/v1/Managers/iDRAC.Embedded.1/LogServices/Sel";

struct Figures {
  double seconds = 0, requests = 0;
};

template <class Start>
Figures timed(boost::asio::io_context& io, const bench::SimProcess& sim, Start start) {
  sim.reset_stats();
  bool done = false;
  const auto began = Clock::now();
  start([&] { done = true; });
  io.restart();
  while (!done) io.run_one_for(std::chrono::milliseconds(50));
  return {std::chrono::duration<double>(Clock::now() - began).count(), sim.stat("requests")};
}

// A bmcweb-sized SEL: n entries inlined in the collection, served in pages.
void install_inline_sel(const bench::SimProcess& sim, int n, int page) {
  std::string members;
  for (int id = 1; id <= n; ++id)
    members +=
        fmt::format(R"({}{{"@odata.id":"{}/Entries/{}","Id":"{}","Created":"2026-01-01T00:00:00Z",)"
                    R"("EntryType":"SEL","Message":"event {}","Severity":"OK"}})",
                    id == 1 ? "" : ",", kSel, id, id, id);
  sim.control("/resource?path=" + kSel + "/Entries", "POST",
              fmt::format(R"({{"@odata.id":"{}/Entries","Members":[{}],"Members@odata.count":{}}})",
                          kSel, members, n));
  sim.control("/page_size", "POST", fmt::format(R"({{"members":{}}})", page));
}

void run(const std::string& label, const std::string& mockup, std::vector<std::string> sim_args,
         int inline_entries, const std::string& password_file) {
  bench::SimProcess sim(BMCQUIET_BINARY_DIR, mockup, sim_args);
  if (inline_entries > 0) install_inline_sel(sim, inline_entries, 100);
  boost::asio::io_context io;
  redfish::ClientOptions o;
  o.url = sim.url();
  o.username = "admin";
  o.password_credential = "";
  o.password_file = password_file;
  o.insecure = true;
  o.request_timeout = std::chrono::seconds(60);
  auto client = redfish::Client::create(io, o, nullptr);
  const auto state = std::filesystem::temp_directory_path() /
                     fmt::format("bench-sel-{}-{}", ::getpid(), label.substr(0, 4));
  auto source = policy::make_redfish_sel(client, kSel);
  std::size_t entries = 0;
  auto read = timed(io, sim, [&](auto done) {
    source->reserve_and_read([&, done](policy::SelRead r) {
      entries = r.entries.size();
      done();
    });
  });
  auto item = policy::make_sel_backend(source, {0.01, state.string(), 1 << 26, 2, nullptr});
  std::string error;
  auto act = timed(io, sim, [&](auto done) {
    item->act([&, done](policy::ActOutcome out) {
      error = out.error;
      done();
    });
  });
  std::filesystem::remove_all(state);
  std::printf(
      "%-34s %6zu entries | read: %4.0f req %7.2f s | archive+check+clear: %4.0f req %7.2f s%s%s\n",
      label.c_str(), entries, read.requests, read.seconds, act.requests, act.seconds,
      error.empty() ? "" : " | ", error.c_str());
}

}  // namespace

int main() {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const std::string password_file = "/tmp/bench-sel-password-" + std::to_string(::getpid());
  std::ofstream(password_file) << "secret";
  ::chmod(password_file.c_str(), 0600);
  const auto capture = std::filesystem::path(BMCQUIET_SOURCE_DIR) / ".." / "shared" /
                       "redfish-mockups" / "dell-idrac9";
  std::printf("SEL archive-then-clear, bmcsim --serialize (one request at a time)\n");
  if (std::filesystem::is_directory(capture))
    run("iDRAC9 capture, its README timings", capture.string(),
        {"--serialize", "--latency-profile", (capture / "README").string()}, 0, password_file);
  else
    std::printf("(skipped the iDRAC9 capture: %s is absent)\n", capture.string().c_str());
  run("bmcweb-like: 1000 inline, 100/page", BMCQUIET_FIXTURES "/redfish/dell",
      {"--serialize", "--latency-ms", "200"}, 1000, password_file);
  run("links only: 5 entries, 400 ms each", BMCQUIET_FIXTURES "/redfish/dell",
      {"--serialize", "--latency-ms", "400"}, 0, password_file);
  std::remove(password_file.c_str());
}
