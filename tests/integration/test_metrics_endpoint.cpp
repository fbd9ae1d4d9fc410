// The /metrics endpoint under hostile clients, and with the exporter-toolkit
// web config (TLS, client certificates, basic auth), checked with curl.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "support/helpers.hpp"
#include "support/hostile_clients.hpp"
#include "support/tls_files.hpp"

using namespace bmcquiet::test;
using namespace std::chrono_literals;

namespace {

// bmcquietd with only the file-backed defaults, on a port of its choice.
struct Daemon {
  explicit Daemon(const std::string& listen = "127.0.0.1:0", const std::string& exporter = "")
      : listen_(listen), exporter_(exporter) {}
  TempDir dir;
  std::string listen_, exporter_;
  NotifySocket notify{dir.path()};
  std::unique_ptr<Process> process;
  std::string base;  // scheme://host:port

  std::string config() const {
    dir.write("proc/interrupts", fixture("interrupts/baremetal-8cpu-cpu3-offline.txt"));
    dir.write("sys/devices/system/cpu/online", "0-7\n");
    const auto& r = dir.path();
    return dir.write("bmcquiet.yaml", "paths: {procfs: " + r + "/proc, sysfs: " + r +
                                          "/sys, devfs: " + r + "/dev, state: " + r + "/state}\n" +
                                          exporter_);
  }

  // The READY status line, or nothing when the daemon did not get there.
  std::optional<std::string> start(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{built_binary("daemon/bmcquietd"), "--config", config(),
                                  "--listen", listen_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<Process>(
        argv, std::map<std::string, std::string>{{"NOTIFY_SOCKET", notify.path()}});
    auto ready = notify.wait_for("READY=1", 10s);
    if (ready) {
      auto from = ready->find("metrics on ") + 11;
      base = ready->substr(from, ready->find("/metrics", from) - from);
    }
    return ready;
  }
  int port() const { return std::stoi(base.substr(base.rfind(':') + 1)); }
};

// curl's status code for url with extra options ("000" when it could not connect).
std::string curl_code(const std::string& options, const std::string& url) {
  auto r = run_command("curl -s -o /dev/null -m 5 -w '%{http_code}' " + options + " '" + url + "'");
  return r.output;
}

// Client certificates required, and one basic auth user.
std::string mutual_tls_web_config(const TlsFiles& tls, const std::string& user,
                                  const std::string& hash) {
  return "tls_server_config:\n  cert_file: " + tls.server_cert + "\n  key_file: " + tls.server_key +
         "\n  client_ca_file: " + tls.ca_cert +
         "\n  client_auth_type: RequireAndVerifyClientCert\nbasic_auth_users:\n  " + user + ": '" +
         hash + "'\n";
}

// A daemon whose web.yml requires a client certificate and user:password.
struct SecuredDaemon {
  SecuredDaemon(const std::string& user, const std::string& password,
                const std::string& extra = "") {
    auto hash = bcrypt_hash(password);
    if (hash.empty()) {
      skip = "htpasswd (apache2-utils; scripts/setup installs it) missing: test skipped";
      return;
    }
    tls = make_tls_files(d.dir);
    d.dir.write("web.yml", mutual_tls_web_config(tls, user, hash) + extra);
  }
  Daemon d{"127.0.0.1:0", "exporter:\n  web_config_file: web.yml\n"};
  TlsFiles tls;
  std::string skip;  // why this machine cannot run the test
};

bool have_ipv6_loopback() {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string curl_body(const std::string& options, const std::string& url) {
  return run_command("curl -s -m 5 " + options + " '" + url + "'").output;
}

}  // namespace

TEST_CASE("a scrape answers within 1 s while 100 slowloris and 200 idle connections are held") {
  Daemon d;
  REQUIRE(d.start());
  HostileClients hostile(d.port(), 200, 100, 1s);
  REQUIRE(hostile.connected() == 300);
  std::this_thread::sleep_for(200ms);  // the daemon has accepted them all
  for (double ms : timed_scrapes(d.base + "/metrics", 5, 1000ms)) {
    INFO("scrape took " << ms << " ms (-1: failed or over 1 s)");
    CHECK(ms >= 0);
  }
  // Still true after the slow headers have dripped for a while.
  std::this_thread::sleep_for(2500ms);
  auto late = http_get(d.base + "/metrics", 1000ms);
  REQUIRE(late.status == 200);
  auto open = sample_value(late.body, "bmcquiet_exporter_connections");
  REQUIRE(open);
  CHECK(*open <= 256);
  CHECK(sample_value(late.body, "bmcquiet_exporter_connections_evicted_total") >= 40.0);
}

TEST_CASE(
    "the endpoint serves process_* and bmcquiet_exporter_* series, / and 404, GET/HEAD only") {
  Daemon d;
  REQUIRE(d.start());
  auto scrape = http_get(d.base + "/metrics");
  REQUIRE(scrape.status == 200);
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds"}) {
    INFO(name);
    CHECK(sample_value(scrape.body, name) >= 0.0);
  }
  CHECK(sample_value(scrape.body, "process_resident_memory_bytes") > 1e6);
  CHECK(sample_value(scrape.body, "process_open_fds") > 3.0);
  auto start = *sample_value(scrape.body, "process_start_time_seconds");
  CHECK(std::abs(start - double(std::time(nullptr))) < 60);
  CHECK(scrape.body.find("\nexposer_") == std::string::npos);
  // The first scrape is counted once answered: the second one shows it.
  scrape = http_get(d.base + "/metrics");
  CHECK(sample_value(scrape.body, R"(bmcquiet_exporter_requests_total{code="200"})") >= 1.0);
  if (have_command("promtool")) {
    auto check = run_command("promtool check metrics", scrape.body);
    INFO(check.output);
    CHECK(check.exit_code == 0);
  }
  CHECK(curl_code("", d.base + "/") == "200");
  CHECK(curl_body("", d.base + "/").find("href=\"/metrics\"") != std::string::npos);
  CHECK(curl_code("", d.base + "/nope") == "404");
  CHECK(curl_code("-X POST -d x=1", d.base + "/metrics") == "405");
  CHECK(curl_code("-I", d.base + "/metrics") == "200");
}

TEST_CASE("IPv6 listen addresses [::1] and [::] serve /metrics") {
  if (!have_ipv6_loopback()) {
    WARN("no ::1 on this machine: IPv6 listen test skipped");
    return;
  }
  Daemon v6("[::1]:0");
  REQUIRE(v6.start());
  CHECK(v6.base.rfind("http://[::1]:", 0) == 0);
  CHECK(curl_code("-g", v6.base + "/metrics") == "200");

  Daemon any("[::]:0");
  REQUIRE(any.start());
  const auto port = std::to_string(any.port());
  CHECK(curl_code("-g", "http://[::1]:" + port + "/metrics") == "200");
  CHECK(curl_code("", "http://127.0.0.1:" + port + "/metrics") == "200");  // dual-stack
}

TEST_CASE("web config: TLS with a client CA and basic auth, checked with curl; reload renews") {
  SecuredDaemon secured("prometheus", "s3cret pass",
                        "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n");
  if (!secured.skip.empty()) {
    WARN(secured.skip);
    return;
  }
  auto& [d, tls, skip] = secured;
  REQUIRE(tls.error.empty());
  auto ready = d.start();
  REQUIRE(ready);
  // The web config path is relative: it is read from the main config's directory.
  REQUIRE(d.base.rfind("https://", 0) == 0);
  const auto url = d.base + "/metrics";
  const auto client =
      "--cacert " + tls.ca_cert + " --cert " + tls.client_cert + " --key " + tls.client_key;

  CHECK(curl_code(client + " -u 'prometheus:s3cret pass'", url) == "200");
  CHECK(curl_code(client + " -u 'prometheus:s3cret pass'", url) == "200");  // cached
  CHECK(curl_code(client + " -u 'prometheus:wrong'", url) == "401");
  CHECK(curl_code(client + " -u 'nobody:s3cret pass'", url) == "401");
  CHECK(curl_code(client, url) == "401");
  auto headers = run_command("curl -s -D - -o /dev/null -m 5 " + client + " '" + url + "'");
  CHECK(headers.output.find("WWW-Authenticate: Basic") != std::string::npos);
  CHECK(headers.output.find("X-Content-Type-Options: nosniff") != std::string::npos);
  // No client certificate: the handshake fails.
  CHECK(curl_code("--cacert " + tls.ca_cert + " -u 'prometheus:s3cret pass'", url) == "000");
  // Plain HTTP on the TLS port gets nothing.
  CHECK(curl_code("", "http://127.0.0.1:" + std::to_string(d.port()) + "/metrics") != "200");

  // A renewed certificate from another CA: new connections get it after SIGHUP.
  auto renewed = make_tls_files(d.dir, "renewed");
  REQUIRE(renewed.error.empty());
  d.dir.write("web.yml", "tls_server_config:\n  cert_file: " + renewed.server_cert +
                             "\n  key_file: " + renewed.server_key + "\n");
  d.process->signal(SIGHUP);
  REQUIRE(d.notify.wait_for("RELOADING=1", 5s));
  REQUIRE(d.notify.wait_for("READY=1", 5s));
  CHECK(curl_code("--cacert " + renewed.ca_cert, url) == "200");
  CHECK(curl_code("--cacert " + tls.ca_cert, url) == "000");

  // min_version: a TLS 1.2 client is refused once TLS13 is the minimum.
  CHECK(curl_code("--cacert " + renewed.ca_cert + " --tls-max 1.2", url) == "200");
  d.dir.write("web.yml", "tls_server_config:\n  cert_file: " + renewed.server_cert +
                             "\n  key_file: " + renewed.server_key + "\n  min_version: TLS13\n");
  d.process->signal(SIGHUP);
  REQUIRE(d.notify.wait_for("RELOADING=1", 5s));
  REQUIRE(d.notify.wait_for("READY=1", 5s));
  CHECK(curl_code("--cacert " + renewed.ca_cert + " --tls-max 1.2", url) == "000");
  CHECK(curl_code("--cacert " + renewed.ca_cert, url) == "200");
}

TEST_CASE("a bad web config file is a config error with file:line, and secrets stay out of it") {
  TempDir dir;
  const auto main =
      dir.write("bmcquiet.yaml", "exporter:\n  web_config_file: " + dir.path() + "/web.yml\n");
  dir.write("web.yml",
            "tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: k.pem\n"
            "basic_auth_users:\n  alice: plaintext-password\n"
            "http_server_config:\n  headers:\n    X-Frame-Options: maybe\n"
            "typo_key: 1\n");
  auto r = run_command(built_binary("daemon/bmcquietd") + " --check-config --config " + main);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find(dir.path() + "/web.yml:2:") != std::string::npos);  // cert_file
  CHECK(r.output.find(dir.path() + "/web.yml:5:") != std::string::npos);  // alice
  CHECK(r.output.find(dir.path() + "/web.yml:8:") != std::string::npos);  // X-Frame-Options
  CHECK(r.output.find(dir.path() + "/web.yml:9:") != std::string::npos);  // typo_key
  CHECK(r.output.find("plaintext-password") == std::string::npos);

  auto missing = run_command(built_binary("daemon/bmcquietd") + " --check-config --config " + main +
                             " --web.config.file " + dir.path() + "/absent.yml");
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("--web.config.file") != std::string::npos);
  CHECK(missing.output.find("absent.yml") != std::string::npos);
}

// Debian's Prometheus scrapes over TLS with a client certificate and basic
// auth; a second job with a wrong password must see 401 and up=0.
TEST_CASE("a real Prometheus scrapes bmcquietd over TLS with a client certificate and basic auth") {
  if (!have_command("prometheus")) {
    WARN("prometheus not installed (scripts/setup installs it): test skipped");
    return;
  }
  SecuredDaemon secured("prom", "scrape-pass");
  if (!secured.skip.empty()) {
    WARN(secured.skip);
    return;
  }
  auto& [d, tls, skip] = secured;
  REQUIRE(tls.error.empty());
  REQUIRE(d.start());
  const auto target = d.base.substr(8);  // host:port after https://
  // clang 14 (the TSan pass) cannot capture a structured binding.
  auto job = [&tls = tls, &target](const std::string& name, const std::string& password) {
    return "  - job_name: " + name +
           "\n    scheme: https\n    tls_config: {ca_file: " + tls.ca_cert +
           ", cert_file: " + tls.client_cert + ", key_file: " + tls.client_key +
           "}\n    basic_auth: {username: prom, password: " + password +
           "}\n    static_configs: [{targets: ['" + target + "']}]\n";
  };
  auto config =
      d.dir.write("prometheus.yml", "global: {scrape_interval: 1s}\nscrape_configs:\n" +
                                        job("bmcquiet", "scrape-pass") + job("intruder", "guess"));
  const int port = free_tcp_port();
  Process prometheus(
      {"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + d.dir.path() + "/tsdb",
       "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"});
  const auto api = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/";
  auto query = [&](const std::string& q) { return http_get(api + "query?query=" + q).body; };
  std::string up, denied, targets;
  for (auto end = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(500ms)) {
    up = query("up%7Bjob%3D%22bmcquiet%22%7D%3D%3D1");
    denied = query("up%7Bjob%3D%22intruder%22%7D%3D%3D0");
    if (up.find("\"value\"") != std::string::npos && denied.find("\"value\"") != std::string::npos)
      break;
  }
  INFO("up: " << up << "\ndenied: " << denied);
  CHECK(up.find("\"value\"") != std::string::npos);
  CHECK(denied.find("\"value\"") != std::string::npos);
  auto info = query("bmcquiet_build_info");
  CHECK(info.find("\"job\":\"bmcquiet\"") != std::string::npos);
  targets = http_get(api + "targets").body;
  CHECK(targets.find("401") != std::string::npos);  // the intruder job's lastError
}
