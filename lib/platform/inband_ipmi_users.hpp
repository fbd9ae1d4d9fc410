// Who talks to the BMC in-band on this host: processes holding an IPMI
// device (<devfs>/ipmi*) open, and the ipmi_si driver's own transaction
// counters. Every KCS transaction can cost the host an SMI or a stall on the
// CPU that issues it, so a user that may run on an isolated CPU matters most.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/paths.hpp"
#include "platform/cpu_topology.hpp"

namespace bmcquiet {

struct InbandIpmiUser {
  int pid = 0;
  std::string comm;                  // <procfs>/<pid>/comm
  std::vector<std::string> devices;  // "/dev/ipmi0", as the fd links name them
  bool may_run_on_isolated = false;  // Cpus_allowed_list meets the isolated CPUs
};

struct InbandIpmiView {
  std::vector<InbandIpmiUser> users;  // by pid
  // ipmi_si counters summed over interfaces, by kernel file name
  // ("complete_transactions", "attempts", ...); empty without the driver.
  std::map<std::string, std::uint64_t> si_counters;
  int si_interfaces = 0;
  std::string si_type;  // "kcs", "smic", "bt" of the first interface, "" when none
};

// Processes whose fd links we may not read (other users' without
// CAP_SYS_PTRACE) are skipped: the view is what this process can see.
InbandIpmiView scan_inband_ipmi(const Paths& paths, const CpuSet& isolated);

// The ipmi_si counter files this scan reads: the bounded `kind` label values.
const std::vector<std::string>& ipmi_si_counter_names();

}  // namespace bmcquiet
