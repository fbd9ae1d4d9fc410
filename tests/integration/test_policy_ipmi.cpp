// The policy over IPMI against OpenIPMI's ipmi_sim (tests/support/ipmi_sim.hpp):
// the real engine, provider and lanplus client; drift injected with ipmitool.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <fstream>

#include "bmc/bmc.hpp"
#include "ipmi/client.hpp"
#include "metrics/metrics.hpp"
#include "policy/engine.hpp"
#include "policy/ipmi_items.hpp"
#include "policy/provider.hpp"
#include "support/child.hpp"
#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"

using namespace bmcquiet;
using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

bool skip_without_sim() {
  if (auto why = IpmiSim::unavailable(); !why.empty()) {
    WARN("SKIPPED: " << why);
    return true;
  }
  return false;
}

std::shared_ptr<ipmi::Client> client_for(boost::asio::io_context& io, const IpmiSim& sim) {
  return ipmi::Client::create(io, sim.client_config(), nullptr);
}

template <class Pred>
bool run_until(boost::asio::io_context& io, Pred done) {
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (!done() && std::chrono::steady_clock::now() < until) {
    if (io.stopped()) io.restart();
    io.run_one_for(50ms);
  }
  return done();
}

bool sol_enabled(const IpmiSim& sim) {
  auto out = run_command(sim.ipmitool("sol info")).output;
  auto line = out.find("Enabled");
  return line != std::string::npos && out.find("true", line) < out.find('\n', line);
}

int sel_entries(const IpmiSim& sim) {
  auto out = run_command(sim.ipmitool("sel info")).output;
  auto at = out.find("Entries");
  return at == std::string::npos ? -1 : std::stoi(out.substr(out.find(':', at) + 1));
}

std::size_t lines_in(const std::string& file) {
  std::ifstream in(file);
  std::size_t n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

}  // namespace

TEST_CASE("enforce over IPMI: SOL drift reverted, SEL archived then cleared",
          "[policy][ipmi_sim]") {
  if (skip_without_sim()) return;
  IpmiSim sim(60);
  REQUIRE(sim.start());
  TempDir state;
  boost::asio::io_context io;
  Metrics metrics;
  auto owner = bmc::Bmc::create(io, nullptr, {.ipmi = sim.client_config()});
  owner->borrow();
  policy::PolicySettings s;
  s.modes.fill(policy::Mode::off);
  s.set_mode(policy::ItemId::sol, policy::Mode::enforce);
  s.set_mode(policy::ItemId::sel, policy::Mode::enforce);
  s.set_mode(policy::ItemId::fans, policy::Mode::enforce);
  s.sel_max_fill_ratio = 0.5;
  auto engine =
      std::make_shared<policy::Engine>(metrics, policy::Engine::Options{s, state.path(), nullptr},
                                       policy::make_bmc_provider(owner, {state.path()}));
  auto pass = [&] {
    bool done = false;
    engine->reconcile([&] { done = true; });
    REQUIRE(run_until(io, [&] { return done; }));
    return engine->status();
  };

  REQUIRE(sol_enabled(sim));
  REQUIRE(sel_entries(sim) == 60);
  auto st = pass();
  INFO(st.items[0].detail << " / " << st.items[2].detail);
  CHECK(st.items[std::size_t(policy::ItemId::sol)].state == policy::ItemState::compliant);
  CHECK(st.items[std::size_t(policy::ItemId::sol)].transport == "ipmi");
  CHECK(st.items[std::size_t(policy::ItemId::sel)].state == policy::ItemState::compliant);
  CHECK(st.items[std::size_t(policy::ItemId::fans)].state == policy::ItemState::unsupported);
  CHECK_FALSE(sol_enabled(sim));
  CHECK(sel_entries(sim) == 0);
  CHECK(lines_in(state.path() + "/sel-archive.jsonl") == 60);

  REQUIRE(run_command(sim.ipmitool("sol set enabled true")).exit_code == 0);  // drift
  REQUIRE(sol_enabled(sim));
  st = pass();
  CHECK_FALSE(sol_enabled(sim));
  CHECK(st.items[std::size_t(policy::ItemId::sol)].drifts == 2);
  CHECK(st.items[std::size_t(policy::ItemId::sol)].reapplies == 2);
  engine->detach();
}

TEST_CASE("SEL over IPMI: a crash between archive and clear loses nothing", "[policy][ipmi_sim]") {
  if (skip_without_sim()) return;
  IpmiSim sim(5);
  REQUIRE(sim.start());
  TempDir state;
  const auto archive = state.path() + "/sel-archive.jsonl";
  policy::SelItemOptions options{0.01, state.path(), 1 << 20, 2, nullptr};

  // The injected crash: the process dies right after the archive is durable.
  REQUIRE(test::run_in_child([&] {
            boost::asio::io_context io;
            auto o = options;
            o.after_archive = [] { ::_exit(42); };
            auto item = policy::make_sel_backend(policy::make_ipmi_sel(client_for(io, sim)), o);
            bool done = false;
            item->act([&](policy::ActOutcome) { done = true; });
            run_until(io, [&] { return done; });
          }) == 42);
  CHECK(lines_in(archive) == 5);
  CHECK(sel_entries(sim) == 5);

  boost::asio::io_context io;  // the restarted daemon
  auto item = policy::make_sel_backend(policy::make_ipmi_sel(client_for(io, sim)), options);
  std::optional<policy::ActOutcome> outcome;
  item->act([&](policy::ActOutcome o) { outcome = o; });
  REQUIRE(run_until(io, [&] { return outcome.has_value(); }));
  INFO(outcome->error);
  CHECK(outcome->ok);
  CHECK(lines_in(archive) == 5);  // recognised by record ID + timestamp, not duplicated
  CHECK(sel_entries(sim) == 0);
}
