#include "support/bmcsim.hpp"

#include <curl/curl.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>

#include "redfish/json.hpp"

namespace bmcquiet::test {
namespace {

std::string pin_of(const std::string& cert) {
  // Parenthesised: run_command redirects stdin of the whole pipeline, not of base64.
  auto r = run_command("(openssl x509 -in '" + cert +
                       "' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst "
                       "-sha256 -binary | base64)");
  auto pin = r.output;
  while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) pin.pop_back();
  return "sha256//" + pin;
}

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

std::optional<TestPki> make_test_pki(const std::string& dir) {
  if (!have_command("openssl")) {
    WARN("openssl not installed (scripts/setup-test installs it): TLS tests skipped");
    return std::nullopt;
  }
  TestPki p{dir + "/ca.pem",
            dir + "/bmc.pem",
            dir + "/bmc.key",
            dir + "/wrong.pem",
            dir + "/wrong.key",
            {},
            {}};
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 ";
  const std::string san = "subjectAltName=IP:127.0.0.1,DNS:localhost";
  const std::string script =
      "set -e; cd '" + dir + "'; openssl req -x509 " + ec +
      "-keyout ca.key -out ca.pem -subj /CN=bmcquiet-test-ca; openssl req " + ec +
      "-keyout bmc.key -out bmc.csr -subj /CN=127.0.0.1; printf '" + san +
      "' > san.ext; openssl x509 -req -in bmc.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out bmc.pem -days 2 -extfile san.ext; openssl req -x509 " +
      ec + "-keyout wrong.key -out wrong.pem -subj /CN=127.0.0.1 -addext " + san;
  auto r = run_command("sh -c \"" + script + "\"");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  p.pin = pin_of(p.cert);
  p.wrong_pin = pin_of(p.wrong_cert);
  return p;
}

BmcSim::BmcSim(const BmcSimConfig& c) : tls_(c.tls != nullptr) {
  const auto ready = dir_.path() + "/ready";
  std::vector<std::string> argv = {built_binary("tests/tools/bmcsim/bmcsim"),
                                   "--mockup",
                                   c.mockup,
                                   "--ready-file",
                                   ready,
                                   "--latency-ms",
                                   std::to_string(c.latency_ms),
                                   "--session-timeout",
                                   std::to_string(c.session_timeout_s),
                                   "--user",
                                   c.user,
                                   "--password",
                                   c.password};
  if (!c.latency_profile.empty()) argv.insert(argv.end(), {"--latency-profile", c.latency_profile});
  if (c.serialize) argv.push_back("--serialize");
  if (c.tls)
    argv.insert(argv.end(), {"--tls", "--cert", c.tls->cert, "--key", c.tls->key, "--wrong-cert",
                             c.tls->wrong_cert, "--wrong-key", c.tls->wrong_key});
  process_ = std::make_unique<Process>(argv);
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(ready);
    if (in >> port_ >> control_port_) return;
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  FAIL("bmcsim did not start (serving " << c.mockup << ")");
}

BmcSim::~BmcSim() = default;

std::string BmcSim::url() const {
  return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
}

std::string BmcSim::control(const std::string& method, const std::string& path,
                            const std::string& body) const {
  CURL* e = curl_easy_init();
  std::string out;
  const auto url = "http://127.0.0.1:" + std::to_string(control_port_) + path;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, 5L);
  const auto rc = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(e);
  if (rc != CURLE_OK || status != 200)
    throw std::runtime_error("bmcsim control " + method + " " + path + " failed: " + out);
  return out;
}

double BmcSim::stat(const std::string& name) const {
  auto stats = redfish::Json::parse(control("GET", "/stats"));
  return stats ? (*stats)[name].number().value_or(-1) : -1;
}

void BmcSim::fault(const std::string& kind, int count, const std::string& path, int status) const {
  control("POST", "/fault",
          "{\"kind\":\"" + kind + "\",\"count\":" + std::to_string(count) + ",\"path\":" +
              redfish::Json::quote(path) + ",\"status\":" + std::to_string(status) + "}");
}

void BmcSim::latency(int ms, const std::string& path) const {
  control("POST", "/latency",
          "{\"ms\":" + std::to_string(ms) + ",\"path\":" + redfish::Json::quote(path) + "}");
}

void BmcSim::serialize(bool on) const {
  control("POST", "/serialize", on ? R"({"on":true})" : R"({"on":false})");
}

void BmcSim::latency_profile(const std::string& readme) const {
  control("POST", "/latency_profile", "{\"file\":" + redfish::Json::quote(readme) + "}");
}

std::string BmcSim::resource(const std::string& path) const {
  return control("GET", "/resource?path=" + path);
}

}  // namespace bmcquiet::test
