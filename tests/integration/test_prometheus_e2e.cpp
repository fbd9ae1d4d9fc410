// End to end with Debian's real Prometheus: it scrapes a running bmcquietd
// whose fake msr device shows SMIs rising, evaluates the shipped rule file
// unchanged at a 1 s interval, and must raise BmcQuietSmiRateHigh; then every
// query of the shipped Grafana dashboards (node and fleet: panels, annotations, variables),
// with its variables substituted the way Grafana does, must evaluate.
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/fake_smi.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr int kCpus = 2;                     // CPU 0 housekeeping, CPU 1 isolated
constexpr std::uint64_t kSmisPerTick = 100;  // every 100 ms: 1000 SMIs/s, threshold 1/s

// A thread raises MSR_SMI_COUNT (0x34) in the fake msr files of every CPU at
// once, as a broadcast SMI does; the daemon preads them like the msr driver.
class RisingSmiCounter {
 public:
  explicit RisingSmiCounter(const FakeCpuTree& tree) : tree_(tree) {
    raise(0);
    writer_ = std::thread([this] {
      for (std::uint64_t count = kSmisPerTick; !stop_; count += kSmisPerTick) {
        std::this_thread::sleep_for(100ms);
        raise(count);
      }
    });
  }
  ~RisingSmiCounter() {
    stop_ = true;
    writer_.join();
  }

 private:
  void raise(std::uint64_t count) const {
    for (int cpu = 0; cpu < kCpus; ++cpu) tree_.msr(cpu, 0x34, count);
  }
  const FakeCpuTree& tree_;
  std::atomic<bool> stop_{false};
  std::thread writer_;
};

std::string percent_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// "…metrics on http://127.0.0.1:PORT/metrics…" from the daemon's READY status.
std::string metrics_target(const std::string& status) {
  auto start = status.find("http://");
  REQUIRE(start != std::string::npos);
  start += 7;
  return status.substr(start, status.find('/', start) - start);
}

class Prometheus {
 public:
  Prometheus(const TempDir& dir, const std::string& target) : port_(free_tcp_port()) {
    auto config = dir.write("prometheus.yml",
                            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                            "rule_files: ['" BMCQUIET_SOURCE_DIR
                            "/dashboards/rules/bmcquiet.rules.yml']\n"
                            "scrape_configs:\n  - job_name: bmcquiet\n"
                            "    static_configs: [{targets: ['" +
                                target + "']}]\n");
    process_ = std::make_unique<Process>(std::vector<std::string>{
        "prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.path() + "/tsdb",
        "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"});
  }

  bool wait_ready(std::chrono::seconds timeout) {
    for (auto end = std::chrono::steady_clock::now() + timeout;
         std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(200ms)) {
      if (http_get(base() + "/-/ready", 1s).status == 200) return true;
      if (!process_->running()) return false;
    }
    return false;
  }

  // GET /api/v1/<path>; the parsed body, or an object saying what failed.
  json::value api(const std::string& path) {
    auto r = http_get(base() + "/api/v1/" + path);
    if (r.status == 0) return json::object{{"status", "error"}, {"error", r.error}};
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (ec) return json::object{{"status", "error"}, {"error", "unparsable: " + r.body}};
    return v;
  }

 private:
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port_;
  std::unique_ptr<Process> process_;
};

// A JSON string's text, or the serialized value when it is not a string.
std::string text(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : json::serialize(v);
}

bool poll_until(std::chrono::seconds timeout, const std::function<bool()>& done) {
  for (auto end = std::chrono::steady_clock::now() + timeout;
       std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(250ms))
    if (done()) return true;
  return false;
}

std::string alert_state(Prometheus& prometheus, const std::string& name) {
  auto v = prometheus.api("alerts");
  if (text(v.at("status")) != "success") return "api error";
  for (auto& alert : v.at("data").at("alerts").as_array())
    if (text(alert.at("labels").at("alertname")) == name) return text(alert.at("state"));
  return "inactive";
}

struct Query {
  std::string where;  // panel title / annotation / variable, for failure messages
  std::string expr;
};

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
}

// Grafana's interpolation for these variables: a multi-value/All variable
// becomes a regex of regex-escaped values (escaped again inside the PromQL
// string); $__rate_interval = max(4 x scrape interval, $__interval + scrape).
std::string substitute(std::string expr, const std::string& instance) {
  std::string escaped;
  for (char c : instance) escaped += c == '.' ? std::string("\\\\.") : std::string(1, c);
  replace_all(expr, "$__rate_interval", "4s");
  replace_all(expr, "$__interval", "1s");
  replace_all(expr, "$instance", "(" + escaped + ")");
  replace_all(expr, "$job", "(bmcquiet)");
  return expr;
}

void collect_panel_queries(const json::array& panels, std::vector<Query>& out) {
  for (auto& p : panels) {
    auto& panel = p.as_object();
    if (auto* nested = panel.if_contains("panels")) collect_panel_queries(nested->as_array(), out);
    if (auto* targets = panel.if_contains("targets"))
      for (auto& t : targets->as_array())
        out.push_back({"panel \"" + text(panel.at("title")) + "\"", text(t.at("expr"))});
  }
}

std::vector<Query> dashboard_queries(const json::value& dashboard) {
  std::vector<Query> out;
  collect_panel_queries(dashboard.at("panels").as_array(), out);
  for (auto& a : dashboard.at("annotations").at("list").as_array())
    if (auto* target = a.as_object().if_contains("target"))
      out.push_back({"annotation \"" + text(a.at("name")) + "\"", text(target->at("expr"))});
  return out;
}

// label_values(METRIC, LABEL) of each query variable, as (label, selector).
std::vector<std::pair<std::string, std::string>> variable_queries(const json::value& dashboard) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& v : dashboard.at("templating").at("list").as_array()) {
    if (text(v.at("type")) != "query") continue;
    auto q = text(v.at("query").at("query"));
    auto open = q.find('('), comma = q.rfind(','), close = q.rfind(')');
    REQUIRE((q.rfind("label_values(", 0) == 0 && comma != std::string::npos));
    auto label = q.substr(comma + 1, close - comma - 1);
    label.erase(0, label.find_first_not_of(' '));
    out.emplace_back(label, q.substr(open + 1, comma - open - 1));
  }
  return out;
}

// The shipped SMI-rate alert goes pending (its `for:` is 10m) and no shipped
// rule fails to evaluate against the real daemon's series.
void check_smi_alert(Prometheus& prometheus) {
  std::string state;
  CHECK(poll_until(30s, [&] {
    state = alert_state(prometheus, "BmcQuietSmiRateHigh");
    return state == "pending" || state == "firing";
  }));
  INFO("BmcQuietSmiRateHigh state: " << state);
  CHECK((state == "pending" || state == "firing"));

  auto rules = prometheus.api("rules");
  REQUIRE(text(rules.at("status")) == "success");
  for (auto& group : rules.at("data").at("groups").as_array())
    for (auto& rule : group.at("rules").as_array()) {
      INFO(json::serialize(rule));
      CHECK(text(rule.at("health")) != "err");
    }
}

// Per dashboard: how many queries at least, and the panels this daemon and
// fake tree must fill (a query there that returns nothing in any of its
// queries has a wrong metric name, label or selector).
struct DashboardExpectation {
  const char* file;
  std::size_t min_queries;
  std::set<std::string> panels_with_data;
};
const DashboardExpectation kDashboards[] = {
    {"/dashboards/bmcquiet.json",
     25,
     {"panel \"SMI rate per node\"", "panel \"Cost of monitoring\"",
      "panel \"Interrupts on isolated CPUs\"", "panel \"Collector health\"",
      "panel \"Collector duration\"", "panel \"Versions and configuration\""}},
    {"/dashboards/bmcquiet-fleet.json",
     13,
     {"panel \"Top 10 nodes by SMI rate\"", "panel \"Nodes scraped\"", "panel \"BMCs down\""}},
};

// Every panel and annotation query evaluates as a range query like Grafana's.
void check_dashboard_queries(Prometheus& prometheus, const json::value& dashboard,
                             const std::string& target, const DashboardExpectation& expect) {
  // Wait for a few scrapes, so "no data" means a wrong query: the range
  // ends on a whole second, up to 1 s before the newest sample.
  REQUIRE(poll_until(20s, [&] {
    auto v = prometheus.api("query?query=" +
                            percent_encode("count_over_time(bmcquiet_smi_total[10s]) >= 4"));
    return text(v.at("status")) == "success" && !v.at("data").at("result").as_array().empty();
  }));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string range =
      "&start=" + std::to_string(now - 60) + "&end=" + std::to_string(now) + "&step=1";
  auto queries = dashboard_queries(dashboard);
  CHECK(queries.size() >= expect.min_queries);
  std::map<std::string, bool> has_data;  // per panel: any of its queries
  for (auto& q : queries) {
    auto expr = substitute(q.expr, target);
    auto v = prometheus.api("query_range?query=" + percent_encode(expr) + range);
    INFO(q.where << ": " << expr << " -> " << json::serialize(v));
    REQUIRE(text(v.at("status")) == "success");
    has_data[q.where] = has_data[q.where] || !v.at("data").at("result").as_array().empty();
  }
  for (auto& where : expect.panels_with_data) {
    INFO(where << " returned no data");
    CHECK(has_data[where]);
  }
}

// The Job and Node variables list this Prometheus's job and the daemon.
void check_dashboard_variables(Prometheus& prometheus, const json::value& dashboard,
                               const std::string& target) {
  for (auto& [label, selector] : variable_queries(dashboard)) {
    auto v = prometheus.api("label/" + label +
                            "/values?match[]=" + percent_encode(substitute(selector, target)));
    INFO("variable " << label << " from " << selector << " -> " << json::serialize(v));
    REQUIRE(text(v.at("status")) == "success");
    CHECK(json::serialize(v.at("data")).find(label == "instance" ? target : "bmcquiet") !=
          std::string::npos);
  }
}

}  // namespace

TEST_CASE(
    "a real Prometheus scrapes bmcquietd, raises the SMI alert, answers every dashboard query",
    "[prometheus]") {
  if (!have_command("prometheus")) {
    WARN(
        "prometheus not installed (scripts/setup-test installs Debian's): end-to-end test skipped");
    return;
  }
  TempDir dir;
  dir.write("proc/interrupts", fixture("interrupts/vm-2cpu.txt"));
  FakeCpuTree tree(dir.path());
  tree.cpus("0-1", "1");
  RisingSmiCounter smis(tree);
  // Shipped defaults except the forced SMI source (the fake tree is Intel's
  // msr device on any host) and a faster SMI interval.
  auto config = dir.write("bmcquiet.yaml", "paths:\n  state: " + dir.path() +
                                               "/state\ncollectors:\n  smi:\n"
                                               "    source: intel_msr\n    interval: 500ms\n");
  NotifySocket notify(dir.path());
  Process daemon({built_binary("daemon/bmcquietd"), "--config", config, "--listen", "127.0.0.1:0",
                  "--path.procfs", dir.path() + "/proc", "--path.sysfs", dir.path() + "/sys",
                  "--path.devfs", dir.path() + "/dev"},
                 {{"NOTIFY_SOCKET", notify.path()}});
  auto ready = notify.wait_for("READY=1", 10s);
  REQUIRE(ready);
  const auto target = metrics_target(*ready);
  Prometheus prometheus(dir, target);
  REQUIRE(prometheus.wait_ready(20s));

  check_smi_alert(prometheus);
  for (const auto& expect : kDashboards) {
    INFO(expect.file);
    const auto dashboard = json::parse(read_file(BMCQUIET_SOURCE_DIR + std::string(expect.file)));
    check_dashboard_queries(prometheus, dashboard, target, expect);
    check_dashboard_variables(prometheus, dashboard, target);
  }
}
