// The golden table: one row per tests/golden/<collector>/<fixture>.prom.
// Adding a golden = a row here + <collector>/<fixture>.yaml (the collector's
// config, placeholders in harness.cpp), then scripts/update-golden to write
// the .prom and a review of it. ctest names each row
// golden:<collector>/<fixture> and labels it golden.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <deque>
#include <filesystem>

#include "golden/golden.hpp"
#include "support/bmcsim.hpp"
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

// Two processes hold the in-band IPMI device; one may run on isolated CPUs.
void inband_two_users(const TempDir& root) {
  cpus(root, "0-7", "2-7");
  root.write("dev/ipmi0", "");
  const std::pair<int, const char*> users[] = {{4242, "0-1"}, {4343, "0-7"}};
  for (const auto& [pid, allowed] : users) {
    const auto dir = fmt::format("proc/{}", pid);
    root.write(dir + "/comm", pid == 4242 ? "ipmitool\n" : "dcgm\n");
    root.write(dir + "/status", fmt::format("Name:\tx\nCpus_allowed_list:\t{}\n", allowed));
    std::filesystem::create_directories(root.path() + "/" + dir + "/fd");
    std::filesystem::create_symlink(root.path() + "/dev/ipmi0", root.path() + "/" + dir + "/fd/3");
  }
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

// The TSC detector measures this host: its gaps and sampled time vary.
constexpr const char* kTscMeasured =
    "bmcquiet_tsc_(gap_seconds|gaps_total|sampled_seconds_total|stolen_seconds_total)";

// Supermicro links one VirtualMedia collection (under Managers/1) from both
// Systems/1 and Managers/1; Redfish discovery labels its slots after whichever
// of the two answered first, so media= flips between "manager/" and "system/"
// from one start to the next (about 1 run in 5 here). Remove once discovery
// picks the owner deterministically.
const std::vector<std::pair<std::string, std::string>> kMediaOwnerFlips = {
    {"media=\"manager/", "media=\"<manager or system>/"},
    {"media=\"system/", "media=\"<manager or system>/"}};

const Case kCases[] = {
    {"", "no-collectors"},
    {"interrupts", "baremetal-8cpu", Peer::none, "", &interrupts_baremetal,
     &interrupts_baremetal_change},
    {"interrupts", "vm-2cpu", Peer::none, "", &interrupts_vm},
    {"smi", "intel-msr-2cpu", Peer::none, "", &smi_intel_msr, &smi_intel_msr_change},
    {"tsc_gap", "invariant-tsc", Peer::none, "", &tsc_invariant, nullptr, kTscMeasured},
    {"inband_ipmi", "two-users", Peer::none, "", &inband_two_users, &inband_two_users_change},
    {"redfish", "dell", Peer::bmcsim, "redfish/dell"},
    {"redfish", "hpe", Peer::bmcsim, "redfish/hpe"},
    {"redfish", "hgx", Peer::bmcsim, "redfish/hgx"},
    {"redfish", "supermicro", Peer::bmcsim, "redfish/supermicro"},
    {"redfish", "capture-dell-idrac9", Peer::bmcsim, "shared:dell-idrac9"},
    {"redfish", "capture-hpe-ilo5", Peer::bmcsim, "shared:hpe-ilo5-apollo6500-xl675d-a100"},
    {"redfish", "capture-supermicro", Peer::bmcsim, "shared:supermicro", nullptr, nullptr, "",
     kMediaOwnerFlips},
    {"redfish", "capture-openbmc", Peer::bmcsim, "shared:openbmc-bmcweb"},
    {"redfish", "capture-dmtf-rackmount1", Peer::bmcsim, "shared:dmtf-public-rackmount1"},
    {"dcmi", "ipmi-sim", Peer::ipmi_sim},
    {"policy", "ipmi-sim", Peer::ipmi_sim},
    {"policy", "redfish-dell", Peer::bmcsim, "redfish/dell"},
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
