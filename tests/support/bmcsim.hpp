// Runs tests/tools/bmcsim (a simulated Redfish BMC) for a test and wraps its
// control API (tests/tools/bmcsim/README.md). Also a throwaway PKI made with
// the openssl CLI: a CA, the BMC's certificate, a wrong one, and key pins.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "support/helpers.hpp"

namespace bmcquiet::test {

// tests/fixtures/<rel> as a path (fixture() reads a file's content).
inline std::string fixture_dir(const std::string& rel) {
  return std::string(BMCQUIET_FIXTURES) + "/" + rel;
}

struct TestPki {
  std::string ca, cert, key;          // the BMC certificate is signed by the CA
  std::string wrong_cert, wrong_key;  // self-signed, same names, other key
  std::string pin, wrong_pin;         // sha256//... of cert's and wrong_cert's keys
};
// nullopt (with a WARN) when openssl is missing.
std::optional<TestPki> make_test_pki(const std::string& dir);

struct BmcSimConfig {
  std::string mockup;            // a DMTF-layout folder, e.g. fixture("redfish/dell")
  const TestPki* tls = nullptr;  // HTTPS when set
  int latency_ms = 0;
  int session_timeout_s = 1800;
  std::string user = "admin", password = "secret";
  std::string latency_profile{};  // a capture README: its timings replace latency_ms
  bool serialize = false;         // one request at a time, like a real BMC
};

class BmcSim {
 public:
  explicit BmcSim(const BmcSimConfig& config);
  ~BmcSim();
  BmcSim(const BmcSim&) = delete;
  BmcSim& operator=(const BmcSim&) = delete;

  std::string url() const;  // http(s)://127.0.0.1:PORT
  // POSTs/GETs the control API; returns the body (throws on transport errors).
  std::string control(const std::string& method, const std::string& path,
                      const std::string& body = "") const;
  double stat(const std::string& name) const;  // one counter from GET /stats
  void fault(const std::string& kind, int count = -1, const std::string& path = "",
             int status = 503) const;
  void clear_fault() const { fault("none"); }
  void latency(int ms, const std::string& path = "") const;
  void reset_stats() const { control("POST", "/reset_stats"); }
  void serialize(bool on) const;
  void latency_profile(const std::string& readme) const;
  std::string resource(const std::string& path) const;

 private:
  TempDir dir_;
  std::unique_ptr<Process> process_;
  int port_ = 0, control_port_ = 0;
  bool tls_ = false;
};

}  // namespace bmcquiet::test
