// The golden table: one row per tests/golden/<collector>/<fixture>.prom.
// Adding a golden = a row here + <collector>/<fixture>.yaml (the collector's
// config, placeholders in harness.cpp), then `scripts/update-golden
// <collector>/` to write the .prom, and a review of it. E.g. a collector over
// ipmi_sim with its own SDRs: the ipmi_sensors row and its sdr_sim().
// ctest names each row golden:<collector>/<fixture> and labels it golden.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <catch2/catch.hpp>

#include <deque>
#include <filesystem>

#include "golden/golden.hpp"
#include "support/fake_netdev.hpp"
#include "support/fake_smi.hpp"

namespace bmcquiet::test::golden {
namespace {

void cpus(const TempDir& root, const std::string& online, const std::string& isolated) {
  root.write("sys/devices/system/cpu/online", online + "\n");
  root.write("sys/devices/system/cpu/isolated", isolated + "\n");
  root.write("sys/devices/system/cpu/nohz_full", "\n");
}

void interrupts_baremetal(const TempDir& root) {
  cpus(root, "0-7", "4-7");
  root.write("proc/interrupts", fixture("interrupts/baremetal-8cpu-cpu3-offline.txt"));
}

// CPU 5 (isolated; the fifth column, CPU 3 being offline) takes 40 more
// serial interrupts.
void interrupts_baremetal_change(const TempDir& root) {
  auto text = fixture("interrupts/baremetal-8cpu-cpu3-offline.txt");
  text.replace(text.find("        310"), 11, "        350");
  root.write("proc/interrupts", text);
}

void interrupts_vm(const TempDir& root) {
  cpus(root, "0-1", "");
  root.write("proc/interrupts", fixture("interrupts/vm-2cpu.txt"));
}

// MSR files the msr driver would serve: SMI count 1000, no throttling.
void smi_intel_msr(const TempDir& root) {
  FakeCpuTree tree(root.path());
  tree.cpus("0-1");
  for (int cpu = 0; cpu < 2; ++cpu) {
    tree.package(cpu, 0);
    tree.msr(cpu, 0x34, 1000);  // MSR_SMI_COUNT
  }
  root.write("proc/interrupts", "           CPU0       CPU1\n");
}

// 25 SMIs on every CPU.
void smi_intel_msr_change(const TempDir& root) {
  FakeCpuTree tree(root.path());
  for (int cpu = 0; cpu < 2; ++cpu) tree.msr(cpu, 0x34, 1025);
}

void tsc_invariant(const TempDir& root) {
  cpus(root, "0-1", "");
  root.write("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\n\n");
  root.write("proc/interrupts", "           CPU0       CPU1\n");
}

// A process holding `device` (under <devfs>) open as fd 3, with its name and
// the CPUs it may run on, as /proc/<pid> shows it.
void fake_process(const TempDir& root, int pid, const std::string& comm,
                  const std::string& cpus_allowed, const std::string& device) {
  const auto dir = fmt::format("proc/{}", pid);
  root.write(dir + "/comm", comm + "\n");
  root.write(dir + "/status",
             fmt::format("Name:\t{}\nCpus_allowed_list:\t{}\n", comm, cpus_allowed));
  std::filesystem::create_directories(root.path() + "/" + dir + "/fd");
  std::filesystem::create_symlink(root.path() + "/dev/" + device,
                                  root.path() + "/" + dir + "/fd/3");
}

// Two processes hold the in-band IPMI device; one may run on isolated CPUs.
void inband_two_users(const TempDir& root) {
  cpus(root, "0-7", "2-7");
  root.write("dev/ipmi0", "");
  fake_process(root, 4242, "ipmitool", "0-1", "ipmi0");
  fake_process(root, 4343, "dcgm", "0-7", "ipmi0");
  const std::string si = "sys/devices/platform/ipmi_si.0/";
  root.write(si + "type", "kcs\n");
  root.write(si + "complete_transactions", "1200\n");
  root.write(si + "short_timeouts", "3\n");
  root.write(si + "hosed", "0\n");
}

// 50 more KCS transactions, one hosed.
void inband_two_users_change(const TempDir& root) {
  const std::string si = "sys/devices/platform/ipmi_si.0/";
  root.write(si + "complete_transactions", "1250\n");
  root.write(si + "hosed", "1\n");
}

// <dir>/stat as proc(5) has it, with the scheduling policy (field 41) and the
// real-time priority (field 40); every other field 0.
void sched_stat(const TempDir& root, const std::string& dir, int pid, const std::string& comm,
                int policy, int rt_priority) {
  std::vector<std::string> fields(39, "0");
  fields[0] = "S";
  fields[37] = std::to_string(rt_priority);
  fields[38] = std::to_string(policy);
  root.write(dir + "/stat", fmt::format("{} ({}) {}\n", pid, comm, fmt::join(fields, " ")));
}

// One running iTCO watchdog (30 s), its petters and the BMC's device holder on
// a host whose CPUs 2-7 are isolated: PID 1 (systemd) holds watchdog0 and may
// run anywhere; a FIFO 99 watchdog daemon on 0-1 is its safe petter; FreeIPMI's
// bmc-watchdog holds ipmi0 on 0-1, where a FIFO 50 thread of rt-app may run
// (behind a real-time task). PID 1 holding the device itself keeps the
// host's own systemd out: with RuntimeWatchdogSec= set there, the scan adds
// PID 1 only when its fds did not show it already.
void watchdog_petters(const TempDir& root) {
  cpus(root, "0-7", "2-7");
  const std::string wd = "sys/class/watchdog/watchdog0/";
  root.write(wd + "identity", "iTCO_wdt\n");
  root.write(wd + "state", "active\n");
  root.write(wd + "timeout", "30\n");
  root.write("dev/watchdog0", "");
  root.write("dev/ipmi0", "");
  fake_process(root, 1, "systemd", "0-7", "watchdog0");
  sched_stat(root, "proc/1", 1, "systemd", 0, 0);
  fake_process(root, 812, "watchdog", "0-1", "watchdog0");
  sched_stat(root, "proc/812", 812, "watchdog", 1, 99);
  fake_process(root, 1377, "bmc-watchdog", "0-1", "ipmi0");
  sched_stat(root, "proc/1377", 1377, "bmc-watchdog", 0, 0);
  root.write("proc/2600/comm", "rt-app\n");
  root.write("proc/2600/task/2601/status", "Name:\trt-app\nCpus_allowed_list:\t0-7\n");
  sched_stat(root, "proc/2600/task/2601", 2601, "rt-app", 1, 50);
}

// The watchdog daemon restarted without its CPU affinity: it may now run on
// the isolated CPUs, so watchdog0 has no safe petter left and is at risk.
void watchdog_petter_unpinned(const TempDir& root) {
  root.write("proc/812/status", "Name:\twatchdog\nCpus_allowed_list:\t0-7\n");
}

// The host's systemd (over its bus, else /etc/systemd/system.conf) says what
// RuntimeWatchdogSec= it runs with: a fact of the machine the test runs on
// (the collector reads the real /etc/systemd, not under paths:). Its series is
// there wherever systemd is installed (Debian, the CI image); a host with
// neither bus nor system.conf would lose it and fail this golden.
constexpr const char* kHostSystemd = "bmcquiet_watchdog_systemd_runtime_seconds";

// Supermicro's shared LOM: the BMC (7c:c2:55:50:a8:ff, ActiveInterface
// Shared) is the NC-SI sideband of the LOM's second port. The interfaces are
// named after their MACs (udev's enx<MAC> scheme) so that the daemon's real
// ETHTOOL_GPERMADDR, asked for these names in the host's namespace, finds
// nothing on any machine but one with these very NICs.
void nic_supermicro_lom(const TempDir& root) {
  add_fake_netdev(root, "sys/", "enx7cc25550a8fd", "7c:c2:55:50:a8:fd", "pci", "0000:3b:00.0");
  add_fake_netdev(root, "sys/", "enx7cc25550a8fe", "7c:c2:55:50:a8:fe", "pci", "0000:3b:00.1");
  add_fake_netdev(root, "sys/", "lo", "00:00:00:00:00:00", "", "", 772);
}

// The LAN channel's MAC (ipmi_sim's lan_mac) on a host PCI port.
void nic_lan_channel_port(const TempDir& root) {
  add_fake_netdev(root, "sys/", "enx3cecef102030", "3c:ec:ef:10:20:30", "pci", "0000:3b:00.0");
}

IpmiSim::Options sel_sim() { return {.sel_entries = 5}; }
IpmiSim::Options sdr_sim() {
  return {.sdrs = fixture("ipmi/sensors.sdrs"), .emu = fixture("ipmi/sensors.emu")};
}
IpmiSim::Options lan_mac_sim() { return {.sel_entries = 0, .lan_mac = "3c:ec:ef:10:20:30"}; }

// The TSC detector measures this host: its gaps and sampled time vary.
constexpr const char* kTscMeasured =
    "bmcquiet_tsc_(gap_seconds|gaps_total|sampled_seconds_total|stolen_seconds_total)";

const Case kCases[] = {
    {.collector = "", .fixture = "no-collectors"},
    {.collector = "interrupts",
     .fixture = "baremetal-8cpu",
     .setup = &interrupts_baremetal,
     .change = &interrupts_baremetal_change},
    {.collector = "interrupts", .fixture = "vm-2cpu", .setup = &interrupts_vm},
    {.collector = "smi",
     .fixture = "intel-msr-2cpu",
     .setup = &smi_intel_msr,
     .change = &smi_intel_msr_change},
    {.collector = "tsc_gap",
     .fixture = "invariant-tsc",
     .setup = &tsc_invariant,
     .varies = kTscMeasured},
    {.collector = "inband_ipmi",
     .fixture = "two-users",
     .setup = &inband_two_users,
     .change = &inband_two_users_change},
    {.collector = "redfish", .fixture = "dell", .peer = Peer::bmcsim, .mockup = "redfish/dell"},
    {.collector = "redfish", .fixture = "hpe", .peer = Peer::bmcsim, .mockup = "redfish/hpe"},
    {.collector = "redfish", .fixture = "hgx", .peer = Peer::bmcsim, .mockup = "redfish/hgx"},
    {.collector = "redfish",
     .fixture = "supermicro",
     .peer = Peer::bmcsim,
     .mockup = "redfish/supermicro"},
    {.collector = "redfish",
     .fixture = "capture-dell-idrac9",
     .peer = Peer::bmcsim,
     .mockup = "shared:dell-idrac9"},
    {.collector = "redfish",
     .fixture = "capture-hpe-ilo5",
     .peer = Peer::bmcsim,
     .mockup = "shared:hpe-ilo5-apollo6500-xl675d-a100"},
    {.collector = "redfish",
     .fixture = "capture-supermicro",
     .peer = Peer::bmcsim,
     .mockup = "shared:supermicro"},
    {.collector = "redfish",
     .fixture = "capture-openbmc",
     .peer = Peer::bmcsim,
     .mockup = "shared:openbmc-bmcweb"},
    {.collector = "redfish",
     .fixture = "capture-dmtf-rackmount1",
     .peer = Peer::bmcsim,
     .mockup = "shared:dmtf-public-rackmount1"},
    {.collector = "dcmi", .fixture = "ipmi-sim", .peer = Peer::ipmi_sim},
    {.collector = "policy", .fixture = "ipmi-sim", .peer = Peer::ipmi_sim},
    {.collector = "policy",
     .fixture = "redfish-dell",
     .peer = Peer::bmcsim,
     .mockup = "redfish/dell"},
    {.collector = "ipmi_sel", .fixture = "ipmi-sim", .peer = Peer::ipmi_sim, .ipmi = &sel_sim},
    {.collector = "ipmi_sensors", .fixture = "ipmi-sim", .peer = Peer::ipmi_sim, .ipmi = &sdr_sim},
    {.collector = "bmc_nic",
     .fixture = "redfish-shared",
     .peer = Peer::bmcsim,
     .mockup = "redfish-nic/shared",
     .setup = &nic_supermicro_lom},
    {.collector = "bmc_nic",
     .fixture = "ipmi-sim",
     .peer = Peer::ipmi_sim,
     .ipmi = &lan_mac_sim,
     .setup = &nic_lan_channel_port},
    {.collector = "watchdog",
     .fixture = "petters",
     .peer = Peer::ipmi_sim,
     .setup = &watchdog_petters,
     .change = &watchdog_petter_unpinned,
     .varies = kHostSystemd},
};

class Invoker final : public Catch::ITestInvoker {
 public:
  explicit Invoker(const Case& c) : case_(c) {}
  void invoke() const override { run(case_); }

 private:
  const Case& case_;
};

// Registers every row as its own test case, so ctest runs and reports each.
const bool registered = [] {
  static std::deque<std::string> names, tags;  // Catch keeps references
  for (const auto& c : kCases) {
    const std::string dir = *c.collector ? c.collector : "exporter";
    names.push_back(dir + "/" + c.fixture);
    tags.push_back("[golden][" + dir + "]");
    Catch::AutoReg(new Invoker(c), CATCH_INTERNAL_LINEINFO, "",
                   Catch::NameAndTags{names.back(), tags.back()});
  }
  return true;
}();

}  // namespace
}  // namespace bmcquiet::test::golden
