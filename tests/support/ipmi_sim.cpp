#include "support/ipmi_sim.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace bmcquiet::test {
namespace {

std::string module_path() { return built_binary("tests/tools/ipmi_sim_dcmi/ipmi_sim_dcmi.so"); }

bool port_bound(const char* table, int port) {
  return read_file(table).find(fmt::format(":{:04X} ", port)) != std::string::npos;
}

}  // namespace

int free_udp_port() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string IpmiSim::unavailable() {
  if (!have_command("ipmi_sim"))
    return "ipmi_sim not installed (scripts/setup-test installs openipmi)";
  if (!std::filesystem::exists(module_path()))
    return "tests/tools/ipmi_sim_dcmi module not built (needs libopenipmi-dev)";
  return {};
}

IpmiSim::IpmiSim(int sel_entries) : IpmiSim(Options{.sel_entries = sel_entries}) {}

namespace {

// ipmi_sim asks its lan_config_program for the parameters it does not keep
// itself: `<prog> <device> get <name>...`, one "<name>:<value>" line each.
std::string lan_control(const TempDir& dir, const std::string& mac) {
  if (mac.empty()) return {};
  const auto prog = dir.write("lancontrol", fmt::format(R"(#!/bin/sh
[ "$2" = get ] || exit 0
shift 2
for v in "$@"; do
  case $v in
    mac_addr) echo "mac_addr:{}" ;;
    ip_addr) echo "ip_addr:127.0.0.1" ;;
    ip_addr_src) echo "ip_addr_src:static" ;;
    subnet_mask) echo "subnet_mask:255.0.0.0" ;;
    *_ip_addr) echo "$v:0.0.0.0" ;;
    *_mac_addr) echo "$v:00:00:00:00:00:00" ;;
  esac
done
)",
                                                        mac));
  ::chmod(prog.c_str(), 0700);
  return fmt::format("    lan_config_program \"{} eth0\"\n", prog);
}

}  // namespace

IpmiSim::IpmiSim(Options options)
    : port_(free_udp_port()), vm_port_(options.vm_interface ? free_tcp_port() : 0) {
  const auto vm_serial =
      vm_port_ ? fmt::format("  serial 15 127.0.0.1 {} codec VM\n", vm_port_) : std::string();
  password_file_ = dir_.write("password", kPassword);
  ::chmod(password_file_.c_str(), 0600);
  dir_.write("lan.conf", fmt::format(R"(name "bmcquiet"
loadlib "{}" "power=250 limit_min=100 limit_max=2000"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 {}
    priv_limit admin
    allowed_auths_callback none md5 straight
    allowed_auths_user none md5 straight
    allowed_auths_operator none md5 straight
    allowed_auths_admin none md5 straight
    guid a123456789abcdefa123456789abcdef
{}  endlan
{}  user 2 true "{}" "{}" admin 10 none md5 straight
  user 3 true "viewer" "{}" user 10 none md5 straight
  sol "{}/sol-tty" 115200
)",
                                     module_path(), port_, lan_control(dir_, options.lan_mac),
                                     vm_serial, kUser, kPassword, kPassword, dir_.path()));
  std::string emu = "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02";
  emu += options.sdrs.empty() ? "\n" : " persist_sdr\n";
  emu += R"(sel_enable 0x20 100 0x0a
sensor_add 0x20 0 1 0x01 0x01
sensor_set_value 0x20 0 1 0x60 0
)";
  for (int i = 0; i < options.sel_entries; ++i)
    emu += fmt::format(
        "sel_add 0x20 0x02 0x00 0x00 0x00 0x00 0x20 0x00 0x04 0x01 0x01 0x01 0x52 0x{:02x} 0x70\n",
        0x60 + i);
  emu += options.emu + "mc_enable 0x20\n";
  dir_.write("sim.emu", emu);
  std::filesystem::create_directories(dir_.path() + "/state");
  if (!options.sdrs.empty()) {
    // ipmi_sim loads <state>/ipmi_sim/<name>/sdr.<mc>.main, sdrcomp's output.
    const auto repo = dir_.path() + "/state/ipmi_sim/bmcquiet";
    std::filesystem::create_directories(repo);
    const auto src = dir_.write("sensors.sdrs", options.sdrs);
    auto r = run_command(fmt::format("sdrcomp -o {}/sdr.20.main {}", repo, src));
    // Thrown, not FAIL(): the support library is linked into tools without Catch's runner.
    if (r.exit_code != 0) throw std::runtime_error(fmt::format("sdrcomp {}: {}", src, r.output));
  }
}

IpmiSim::~IpmiSim() { stop(); }

bool IpmiSim::start() {
  const auto& d = dir_.path();
  process_ = std::make_unique<Process>(std::vector<std::string>{
      "sh", "-c",
      fmt::format("exec ipmi_sim -c {0}/lan.conf -f {0}/sim.emu -s {0}/state -n >>{0}/sim.log 2>&1",
                  d)});
  for (int i = 0; i < 100; ++i) {
    if (port_bound("/proc/net/udp", port_) && (!vm_port_ || port_bound("/proc/net/tcp", vm_port_)))
      return true;
    if (!process_->running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void IpmiSim::stop() {
  if (!process_) return;
  process_->signal(SIGCONT);
  process_->signal(SIGTERM);
  if (!process_->wait(std::chrono::seconds(3))) process_->signal(SIGKILL);
  process_.reset();
}

void IpmiSim::pause() { process_->signal(SIGSTOP); }
void IpmiSim::resume() { process_->signal(SIGCONT); }

std::string IpmiSim::log() const {
  return std::filesystem::exists(dir_.path() + "/sim.log") ? read_file(dir_.path() + "/sim.log")
                                                           : std::string();
}

std::string IpmiSim::ipmitool(const std::string& args) const {
  return fmt::format("ipmitool -I lanplus -H 127.0.0.1 -p {} -U {} -f {} -C 3 {}", port_, kUser,
                     password_file_, args);
}

std::string IpmiSim::freeipmi(const std::string& tool, const std::string& args) const {
  // ipmi_sim echoes the requested maximum privilege in Open Session, which
  // FreeIPMI rejects unless told to accept it (opensesspriv).
  return fmt::format(
      "{} -h 127.0.0.1:{} -u {} -p {} -l ADMIN -I 3 --driver-type=LAN_2_0 "
      "--workaround-flags=opensesspriv {}",
      tool, port_, kUser, kPassword, args);
}

ipmi::ClientConfig IpmiSim::client_config() const {
  ipmi::ClientConfig c;
  c.transport = ipmi::TransportKind::lanplus;
  c.host = "127.0.0.1";
  c.port = std::uint16_t(port());
  c.username = kUser;
  c.password_file = password_file();
  c.password_credential = "bmcquiet-test-absent";
  c.cipher_suite = 3;  // ipmi_sim supports suites 0-3 only
  c.timeout = std::chrono::milliseconds(500);
  c.retries = 1;
  return c;
}

}  // namespace bmcquiet::test
