// OpenIPMI's ipmi_sim as a lanplus BMC on 127.0.0.1 for the tests: a free UDP
// port, a temp state dir, an admin user with a password file, SOL, a sensor,
// two SEL entries, and bmcquiet's DCMI/watchdog module (tests/tools/ipmi_sim_dcmi).
// With a VM port it also serves its system interface (channel 15) to QEMU's
// ipmi-bmc-extern over TCP ("codec VM"): a guest's KCS driver and the lanplus
// clients then talk to one and the same BMC.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "ipmi/client.hpp"
#include "support/helpers.hpp"

namespace bmcquiet::test {

class IpmiSim {
 public:
  static constexpr const char* kUser = "admin";
  static constexpr const char* kPassword = "bmcquiet-test-pw";

  // Skip reason when ipmi_sim or the module is missing; empty when usable.
  static std::string unavailable();

  struct Options {
    int sel_entries = 2;
    bool vm_interface = false;  // listen for QEMU's ipmi-bmc-extern on vm_port()
    // The LAN channel's MAC (LAN parameter 5), served through ipmi_sim's
    // lan_config_program as on a real BMC; "" leaves the channel without one.
    std::string lan_mac{};
    // The main SDR repository in OpenIPMI's sdrcomp language (compiled at
    // construction) and emu commands (sensor_add...) run before mc_enable.
    std::string sdrs{};
    std::string emu{};
  };
  explicit IpmiSim(int sel_entries = 2);
  explicit IpmiSim(Options options);
  ~IpmiSim();
  IpmiSim(const IpmiSim&) = delete;
  IpmiSim& operator=(const IpmiSim&) = delete;

  bool start();  // waits until the UDP port is bound
  void stop();
  void pause();   // SIGSTOP: the BMC stops answering
  void resume();  // SIGCONT
  int port() const { return port_; }
  int vm_port() const { return vm_port_; }  // 0 without vm_interface
  const std::string& password_file() const { return password_file_; }
  // A lanplus client config for this simulator (cipher suite 3, short timeout).
  ipmi::ClientConfig client_config() const;
  const TempDir& dir() const { return dir_; }
  std::string log() const;
  // "ipmitool -I lanplus ... " with this simulator's address and credentials.
  std::string ipmitool(const std::string& args) const;
  // FreeIPMI's tool (ipmi-dcmi, ipmi-sel) with the workaround ipmi_sim needs.
  std::string freeipmi(const std::string& tool, const std::string& args) const;

 private:
  TempDir dir_;
  int port_ = 0;
  int vm_port_ = 0;
  std::string password_file_;
  std::unique_ptr<Process> process_;
};

int free_udp_port();

// True (with a WARN naming why) when a test must skip: no ipmi_sim or module.
inline bool skip_without_ipmi_sim() {
  if (auto why = IpmiSim::unavailable(); !why.empty()) {
    WARN("SKIPPED: " << why);
    return true;
  }
  return false;
}

}  // namespace bmcquiet::test
