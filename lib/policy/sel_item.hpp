// The `sel` item over any transport's System Event Log: compliant while the
// log is below the configured fill ratio; re-applying means reserve → read
// every entry → archive durably → clear. The source clears only when the log
// still holds exactly what was archived: IPMI compares the count and a BMC
// restart cancels its reservation; Redfish, which has no reservation, re-reads
// every entry and compares content. Otherwise nothing is cleared, the outcome
// says why, and the next pass archives the newcomers first.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "policy/item.hpp"
#include "policy/sel_archive.hpp"

namespace bmcquiet::policy {

struct SelFill {
  std::string error;  // "" when used/capacity are known
  std::uint64_t used = 0;
  std::uint64_t capacity = 0;  // 0: the BMC does not say
};

struct SelRead {
  std::string error;
  std::string reservation;  // taken before reading; handed to clear()
  std::vector<ArchiveEntry> entries;
};

class SelSource {
 public:
  virtual ~SelSource() = default;
  virtual std::string transport() const = 0;
  virtual void fill(std::function<void(SelFill)> done) = 0;
  // Takes the reservation first, then reads every entry.
  virtual void reserve_and_read(std::function<void(SelRead)> done) = 0;
  // Clears with archived.reservation, only when the log holds exactly
  // archived.entries (all of them durable in the archive by now).
  virtual void clear(const SelRead& archived, std::function<void(ActOutcome)> done) = 0;
};

struct SelItemOptions {
  double max_fill_ratio = 0.75;
  std::string archive_dir;
  std::uint64_t archive_max_bytes = 16 * 1024 * 1024;
  int archive_keep = 4;
  // Test hook: runs after the archive is durable and before the clear.
  std::function<void()> after_archive;
};

std::shared_ptr<ItemBackend> make_sel_backend(std::shared_ptr<SelSource> source,
                                              SelItemOptions options);

}  // namespace bmcquiet::policy
