// Parser for /proc/interrupts (kernel: show_interrupts / arch_show_interrupts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bmcquiet {

struct InterruptRow {
  std::string label;                  // "4", "NMI", "CAL", ...
  std::vector<std::uint64_t> counts;  // one per header CPU; shorter for ERR/MIS
  std::string description;            // chip, hwirq, trigger and actions, or the IPI's name
};

struct InterruptTable {
  std::vector<int> cpus;  // CPU number of each count column (offline CPUs are absent)
  std::vector<InterruptRow> rows;
};

// Rows that do not parse are skipped; only an unusable header is an error.
std::optional<InterruptTable> parse_proc_interrupts(std::string_view text, std::string* error);

// The bounded set of sources bmcquiet reports (labels of its metrics).
enum class InterruptSource { serial, ipmi, ipi_call, ipi_tlb, ipi_resched, none };
std::string_view to_string(InterruptSource source);
InterruptSource classify_interrupt(const InterruptRow& row);

}  // namespace bmcquiet
