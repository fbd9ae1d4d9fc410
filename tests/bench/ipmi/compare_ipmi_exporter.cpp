// Debian's prometheus-ipmi-exporter (FreeIPMI tools per scrape) and bmcquietd
// (one RMCP+ client in-process) against the same ipmi_sim, each through its
// own counting UDP relay: which facts each exports (sensors, SEL, BMC
// identity, power: whatever metric families each has, so new ones show up
// without an edit here), with the time each takes to collect and the RMCP+
// sessions and datagrams per collection each costs the BMC.
//
//   build-*/tests/bench/ipmi/compare_ipmi_exporter [COLLECTIONS]
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "support/helpers.hpp"
#include "support/ipmi_sim.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

// Forwards datagrams between any number of clients and the simulator,
// counting what the clients send and how many RMCP+ Open Session requests.
class CountingRelay {
 public:
  explicit CountingRelay(int upstream_port) : upstream_(upstream_port), port_(free_udp_port()) {
    listen_ = bound_socket(port_);
    thread_ = std::thread([this] { run(); });
  }
  ~CountingRelay() {
    stop_ = true;
    thread_.join();
    for (auto& [key, fd] : upstream_fds_) ::close(fd);
    ::close(listen_);
  }
  int port() const { return port_; }
  int sessions() const { return sessions_; }
  int datagrams() const { return datagrams_; }

 private:
  static int bound_socket(int port) {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(std::uint16_t(port));
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    return fd;
  }

  int upstream_for(const sockaddr_in& client) {
    auto key = std::uint64_t(client.sin_addr.s_addr) << 16 | client.sin_port;
    if (auto it = upstream_fds_.find(key); it != upstream_fds_.end()) return it->second;
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sim{};
    sim.sin_family = AF_INET;
    sim.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sim.sin_port = htons(std::uint16_t(upstream_));
    ::connect(fd, reinterpret_cast<sockaddr*>(&sim), sizeof(sim));
    upstream_fds_[key] = fd;
    clients_[fd] = client;
    return fd;
  }

  void run() {
    std::uint8_t buf[4096];
    while (!stop_) {
      std::vector<pollfd> fds{{listen_, POLLIN, 0}};
      for (auto& [fd, client] : clients_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      for (auto& p : fds) {
        if (!(p.revents & POLLIN)) continue;
        if (p.fd == listen_) {
          sockaddr_in from{};
          socklen_t len = sizeof(from);
          auto n =
              ::recvfrom(listen_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
          if (n <= 0) continue;
          ++datagrams_;
          if (n > 5 && buf[4] == 0x06 && (buf[5] & 0x3F) == 0x10) ++sessions_;
          ::send(upstream_for(from), buf, std::size_t(n), 0);
        } else {
          auto n = ::recv(p.fd, buf, sizeof(buf), 0);
          if (n <= 0) continue;
          const auto& client = clients_[p.fd];
          ::sendto(listen_, buf, std::size_t(n), 0, reinterpret_cast<const sockaddr*>(&client),
                   sizeof(client));
        }
      }
    }
  }

  int upstream_;
  int port_;
  int listen_ = -1;
  std::map<std::uint64_t, int> upstream_fds_;
  std::map<int, sockaddr_in> clients_;
  std::atomic<bool> stop_{false};
  std::atomic<int> sessions_{0}, datagrams_{0};
  std::thread thread_;
};

std::vector<std::string> samples(const std::string& body,
                                 const std::vector<std::string>& prefixes) {
  std::vector<std::string> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    for (const auto& p : prefixes)
      if (line.rfind(p, 0) == 0) out.push_back(line);
  }
  return out;
}

struct Measured {
  double seconds_per_collection = 0;
  int sessions = 0, datagrams = 0;
  double datagrams_per_collection = 0;  // steady state: sessions kept where they are
  double requests_per_collection = -1;  // from the client's own count, where it has one
  std::vector<std::string> metrics;
};

// Which fact a metric family reports, by its name; "other" for the rest.
std::string fact(const std::string& family) {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kFacts = {
      {"SEL", {"_sel_"}},
      {"BMC identity", {"bmc_info", "_bmc_up", "ipmi_up"}},
      {"power", {"power", "dcmi"}},
      {"sensors", {"temperature", "fan_speed", "voltage", "current", "sensor"}},
      {"cost", {"_requests", "_sessions", "_timeouts", "self_smi", "scrape_duration"}},
  };
  for (const auto& [name, keys] : kFacts)
    for (const auto& k : keys)
      if (family.find(k) != std::string::npos) return name;
  return "other";
}

// fact -> "family (series)" for every family in the samples.
std::map<std::string, std::vector<std::string>> facts(const std::vector<std::string>& lines) {
  std::map<std::string, int> families;
  for (const auto& l : lines) ++families[l.substr(0, l.find_first_of("{ "))];
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [family, n] : families)
    out[fact(family)].push_back(fmt::format("{} ({})", family, n));
  return out;
}

void print_facts(const Measured& exporter, const Measured& quiet) {
  auto a = facts(exporter.metrics), b = facts(quiet.metrics);
  std::printf("\n%-14s %-52s %s\n", "fact", "prometheus-ipmi-exporter", "bmcquietd");
  for (const auto* f : {"sensors", "SEL", "BMC identity", "power", "cost", "other"}) {
    const auto& x = a[f];
    const auto& y = b[f];
    for (std::size_t i = 0; i < std::max<std::size_t>({x.size(), y.size(), 1}); ++i)
      std::printf("%-14s %-52s %s\n", i ? "" : f, i < x.size() ? x[i].c_str() : (i ? "" : "-"),
                  i < y.size() ? y[i].c_str() : (i ? "" : "-"));
  }
}

Measured run_exporter(const IpmiSim& sim, int collections) {
  TempDir dir;
  CountingRelay relay(sim.port());
  auto config = dir.write("ipmi_exporter.yml", fmt::format(R"(modules:
  default:
    user: "{}"
    pass: "{}"
    driver: "LAN_2_0"
    privilege: "admin"
    timeout: 10000
    collectors: [bmc, ipmi, dcmi, sel]
    workaround_flags: ["opensesspriv"]
)",
                                                           IpmiSim::kUser, IpmiSim::kPassword));
  const int port = free_tcp_port();
  Process exporter({"prometheus-ipmi-exporter", "--config.file=" + config,
                    fmt::format("--web.listen-address=127.0.0.1:{}", port), "--log.level=error"});
  const auto url = fmt::format("http://127.0.0.1:{}/ipmi?target=127.0.0.1:{}&module=default", port,
                               relay.port());
  for (int i = 0; i < 50 && http_get(fmt::format("http://127.0.0.1:{}/", port)).status == 0; ++i)
    std::this_thread::sleep_for(100ms);
  Measured m;
  std::string body;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < collections; ++i) body = http_get(url, 30s).body;
  m.seconds_per_collection =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / collections;
  m.sessions = relay.sessions();
  m.datagrams = relay.datagrams();
  m.datagrams_per_collection = double(m.datagrams) / collections;  // every scrape starts afresh
  m.metrics = samples(body, {"ipmi_"});
  return m;
}

double requests(const std::string& body) {
  return sample_value(body, R"(bmcquiet_ipmi_requests_total{transport="lanplus"})").value_or(0);
}

// The collectors that read the facts the exporter's modules read (bmc_nic and
// watchdog have no counterpart there and are off).
constexpr const char* kCompared[] = {"dcmi", "ipmi_sel", "ipmi_sensors"};

bool all_up(const std::string& body) {
  for (const char* c : kCompared)
    if (sample_value(body, fmt::format(R"(bmcquiet_collector_up{{collector="{}"}})", c)) != 1.0)
      return false;
  return true;
}

// One collection = one round of every compared IPMI collector (kCompared),
// all at a 1 s interval: its datagrams are
// counted once the session is up, over `collections` seconds.
Measured run_bmcquietd(const IpmiSim& sim, int collections) {
  TempDir dir;
  CountingRelay relay(sim.port());
  auto config = dir.write(
      "bmcquiet.yaml",
      fmt::format("paths:\n  state: {}\nbmc:\n  ipmi:\n    transport: lanplus\n    host: "
                  "127.0.0.1\n    port: {}\n    username: {}\n    password_credential: \"\"\n"
                  "    password_file: {}\n    cipher_suite: 3\n"
                  "collectors:\n  interrupts:\n    enabled: false\n  tsc_gap:\n    enabled: "
                  "false\n  policy:\n    enabled: false\n  smi:\n    enabled: false\n"
                  "  inband_ipmi:\n    enabled: false\n  bmc_nic:\n    enabled: false\n"
                  "  watchdog:\n    enabled: false\n  dcmi:\n    interval: 1s\n"
                  "  ipmi_sel:\n    interval: 1s\n  ipmi_sensors:\n    interval: 1s\n",
                  dir.path(), relay.port(), IpmiSim::kUser, sim.password_file()));
  NotifySocket notify(dir.path());
  Process daemon({built_binary("daemon/bmcquietd"), "--config", config, "--listen", "127.0.0.1:0",
                  "--log-level", "error"},
                 {{"NOTIFY_SOCKET", notify.path()}});
  Measured m;
  auto ready = notify.wait_for("READY=1", 10s);
  if (!ready) return m;
  auto start = ready->find("http://");
  auto url = ready->substr(start, ready->find("/metrics", start) + 8 - start);
  std::string body;
  for (int i = 0; i < 100 && !all_up(body = http_get(url).body); ++i)
    std::this_thread::sleep_for(50ms);
  const int d0 = relay.datagrams();
  const double r0 = requests(body);
  std::this_thread::sleep_for(std::chrono::seconds(collections));
  body = http_get(url).body;
  for (const char* c : kCompared)
    m.seconds_per_collection +=
        sample_value(body,
                     fmt::format(R"(bmcquiet_collector_duration_seconds{{collector="{}"}})", c))
            .value_or(0);
  m.sessions = relay.sessions();
  m.datagrams = relay.datagrams();
  m.datagrams_per_collection = double(m.datagrams - d0) / collections;
  m.requests_per_collection = (requests(body) - r0) / collections;
  m.metrics = samples(body, {"bmcquiet_"});
  // The daemon's own housekeeping is no BMC fact.
  std::erase_if(m.metrics, [](const std::string& l) {
    return l.rfind("bmcquiet_collector_", 0) == 0 || l.rfind("bmcquiet_build_info", 0) == 0 ||
           l.rfind("bmcquiet_config_", 0) == 0 || l.rfind("bmcquiet_daemon_", 0) == 0 ||
           l.rfind("bmcquiet_exporter_", 0) == 0 || l.rfind("bmcquiet_process_", 0) == 0;
  });
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const int collections = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  if (auto why = IpmiSim::unavailable();
      !why.empty() || !have_command("prometheus-ipmi-exporter")) {
    std::fprintf(
        stderr, "skipped: %s\n",
        why.empty() ? "prometheus-ipmi-exporter not installed (scripts/setup-test)" : why.c_str());
    return 77;
  }
  // The sensors test's SDR repository: both sides then have sensors to read.
  IpmiSim::Options options;
  // With one lower-case letter sdrcomp writes the all-capital names as 8-bit
  // ASCII: prometheus-ipmi-exporter 1.6.1 panics on a 6-bit packed name ("label
  // value is not valid UTF-8", FreeIPMI prints its raw bytes) and exports nothing.
  options.sdrs = fixture("ipmi/sensors.sdrs");
  for (const auto& [packed, ascii] :
       {std::pair{"\"FAN1\"", "\"Fan1\""}, {"\"FAN2\"", "\"Fan2\""}, {"\"P12V\"", "\"P12v\""}})
    options.sdrs.replace(options.sdrs.find(packed), std::string(packed).size(), ascii);
  options.emu = fixture("ipmi/sensors.emu");
  IpmiSim sim(options);
  if (!sim.start()) {
    std::fprintf(stderr, "ipmi_sim did not start:\n%s\n", sim.log().c_str());
    return 1;
  }
  auto exporter = run_exporter(sim, collections);
  auto quiet = run_bmcquietd(sim, collections);

  std::printf("== prometheus-ipmi-exporter (collectors bmc, ipmi, dcmi, sel) ==\n");
  for (const auto& l : exporter.metrics) std::printf("  %s\n", l.c_str());
  std::printf("== bmcquietd (collectors dcmi, ipmi_sel, ipmi_sensors over bmc.ipmi lanplus) ==\n");
  for (const auto& l : quiet.metrics) std::printf("  %s\n", l.c_str());
  print_facts(exporter, quiet);
  std::printf("\n%-40s %18s %12s\n", fmt::format("over {} collections", collections).c_str(),
              "ipmi_exporter", "bmcquietd");
  std::printf("%-40s %18.1f %12.1f\n", "collection time (ms, mean)",
              exporter.seconds_per_collection * 1e3, quiet.seconds_per_collection * 1e3);
  std::printf("%-40s %18d %12d\n", "RMCP+ sessions opened", exporter.sessions, quiet.sessions);
  std::printf("%-40s %18d %12d\n", "datagrams sent to the BMC", exporter.datagrams,
              quiet.datagrams);
  std::printf("%-40s %18.1f %12.1f\n", "datagrams per collection (steady)",
              exporter.datagrams_per_collection, quiet.datagrams_per_collection);
  std::printf("%-40s %18s %12.1f\n", "IPMI requests per collection (client)", "n/a",
              quiet.requests_per_collection);
  if (quiet.datagrams_per_collection > 0)
    std::printf("%-40s %18s %11.1fx\n", "datagram ratio (exporter/bmcquiet)", "",
                exporter.datagrams_per_collection / quiet.datagrams_per_collection);
  if (quiet.seconds_per_collection > 0)
    std::printf("%-40s %18s %11.1fx\n", "collection time ratio (exporter/bmcquiet)", "",
                exporter.seconds_per_collection / quiet.seconds_per_collection);
  return 0;
}
