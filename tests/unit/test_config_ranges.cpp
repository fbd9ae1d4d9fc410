// Every number in the config against a sane range, one test per class of bad
// value; each error names file:line, the key and what is allowed.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "metrics/metrics.hpp"
#include "service/setup.hpp"

using namespace bmcquiet;

namespace {

struct Loaded {
  boost::asio::io_context io;
  Metrics metrics;
  SetupResult result;
  std::string errors() const { return result.diagnostics->summary(); }
  std::string warnings() const {
    std::string out;
    for (const auto& w : result.diagnostics->warnings()) out += w.str() + "\n";
    return out;
  }
};

std::unique_ptr<Loaded> load(const std::string& text, CliOverrides cli = {}) {
  auto l = std::make_unique<Loaded>();
  l->result = build_setup_from_text(text, "test.yaml", cli, l->io, l->metrics);
  return l;
}

// A BMC over Redfish and lanplus IPMI plus `extra` under bmc.redfish.
std::string with_bmc(const std::string& redfish_extra, const std::string& rest = "") {
  return "bmc:\n  redfish:\n    url: https://bmc.example\n    username: admin\n" + redfish_extra +
         "  ipmi:\n    transport: lanplus\n    host: bmc.example\n    username: admin\n" + rest;
}

}  // namespace

TEST_CASE("config ranges: NaN and infinities are no number") {
  auto l = load(
      "collectors:\n  policy:\n    items:\n      sel:\n        max_fill_ratio: .nan\n"
      "      power_cap:\n        floor_watts: .inf\n");
  REQUIRE_FALSE(l->result.setup);
  INFO(l->errors());
  CHECK_THAT(l->errors(), Catch::Contains("test.yaml:5:25: collectors.policy.items.sel."
                                          "max_fill_ratio: nan is not a finite number"));
  CHECK_THAT(l->errors(), Catch::Contains("floor_watts: inf is not a finite number"));
  CHECK_THAT(l->errors(), Catch::Contains("allowed: 0.05 to 1"));
}

TEST_CASE("config ranges: negative, zero and overflowing counts") {
  auto l =
      load(with_bmc("    max_in_flight: 0\n    max_series: -1\n"
                    "    max_response_bytes: 99999999999999999999\n",
                    "    retries: -3\n"));
  REQUIRE_FALSE(l->result.setup);
  const auto e = l->errors();
  INFO(e);
  CHECK_THAT(e, Catch::Contains("bmc.redfish.max_in_flight: 0 is out of range; allowed: 1 to 16"));
  CHECK_THAT(e, Catch::Contains("bmc.redfish.max_series: -1 is out of range; allowed: 100 to"));
  CHECK_THAT(e, Catch::Contains("bmc.redfish.max_response_bytes: expected an integer"));
  CHECK_THAT(e, Catch::Contains("bmc.ipmi.retries: -3 is out of range; allowed: 0 to 10"));
}

TEST_CASE("config ranges: durations have a minimum and a maximum, said in units") {
  auto l = load(with_bmc("    request_timeout: 10ms\n    poll_deadline: -5s\n",
                         "collectors:\n  redfish:\n    interval: 0s\n  smi:\n    interval: 25h\n"));
  REQUIRE_FALSE(l->result.setup);
  const auto e = l->errors();
  INFO(e);
  CHECK_THAT(e, Catch::Contains(
                    "bmc.redfish.request_timeout: 10ms is out of range; allowed: 100ms to 5m"));
  CHECK_THAT(e, Catch::Contains("bmc.redfish.poll_deadline: '-5s' is not a duration"));
  CHECK_THAT(e, Catch::Contains("collectors.redfish.interval: 0s is out of range; allowed: 10ms"));
  CHECK_THAT(e,
             Catch::Contains("collectors.smi.interval: 25h is out of range; allowed: 10ms to 1d"));
}

TEST_CASE("config ranges: ports are 1-65535, in the listen address and the BMC URL too") {
  auto l = load("exporter:\n  listen: 127.0.0.1:0\n" + with_bmc("", "    port: 70000\n") +
                "collectors:\n  redfish:\n    interval: 30s\n");
  REQUIRE_FALSE(l->result.setup);
  auto e = l->errors();
  INFO(e);
  CHECK_THAT(e, Catch::Contains("test.yaml:2:11: exporter.listen: '127.0.0.1:0' has no valid port "
                                "(1-65535)"));
  CHECK_THAT(e, Catch::Contains("bmc.ipmi.port: 70000 is out of range; allowed: 1 to 65535"));

  auto url = load("bmc:\n  redfish:\n    url: https://bmc.example:99999\n    username: a\n");
  REQUIRE_FALSE(url->result.setup);
  CHECK_THAT(url->errors(), Catch::Contains("test.yaml:3:10: bmc.redfish.url"));
  CHECK_THAT(url->errors(), Catch::Contains("its port is outside 1-65535"));

  // Any free port only from the command line (tests, tools): READY says which.
  CliOverrides cli;
  cli.listen = "127.0.0.1:0";
  CHECK(load("", cli)->result.setup);
  cli.listen = "[::1]:65536";
  CHECK_THAT(load("", cli)->errors(), Catch::Contains("--listen: '[::1]:65536' has no valid port"));
}

TEST_CASE("config ranges: ratios are 0-1, CPU ids within the kernel's limit") {
  auto l = load(
      "collectors:\n  tsc_gap:\n    cpu: '9000'\n  policy:\n    items:\n      sel:\n"
      "        max_fill_ratio: 1.5\n");
  REQUIRE_FALSE(l->result.setup);
  const auto e = l->errors();
  INFO(e);
  CHECK_THAT(e, Catch::Contains("max_fill_ratio: 1.5 is out of range; allowed: 0.05 to 1"));
  CHECK_THAT(e, Catch::Contains("collectors.tsc_gap.cpu: '9000' is not a CPU number"));
  CHECK_THAT(e, Catch::Contains("0 to 8191"));
}

TEST_CASE("config ranges: a back-off whose maximum is below its start is an error") {
  auto l = load(with_bmc("    backoff_initial: 10s\n    backoff_max: 1s\n"));
  REQUIRE_FALSE(l->result.setup);
  CHECK_THAT(l->errors(),
             Catch::Contains("bmc.redfish.backoff_max: must be at least backoff_initial"));
}

TEST_CASE("config ranges: an interval shorter than its deadline is a warning with its line") {
  auto l = load(with_bmc("    poll_deadline: 25s\n", "    timeout: 5s\n    retries: 2\n") +
                "collectors:\n  redfish:\n    interval: 10s\n  dcmi:\n    interval: 10s\n");
  REQUIRE(l->result.setup);  // legal: the file is still loaded
  const auto w = l->warnings();
  INFO(w);
  CHECK_THAT(w, Catch::Contains("test.yaml:14:15: collectors.redfish.interval: 10s is shorter than "
                                "bmc.redfish.poll_deadline (25s)"));
  CHECK_THAT(w, Catch::Contains("collectors.dcmi.interval: 10s is shorter than bmc.ipmi.timeout x "
                                "(retries + 1) (15s)"));
  CHECK_THAT(w, Catch::Contains("raise the interval or lower that deadline"));

  auto defaults = load(with_bmc(""));
  REQUIRE(defaults->result.setup);
  CHECK(defaults->warnings().empty());  // 30s interval, 25s poll deadline
}
