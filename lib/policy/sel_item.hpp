// The `sel` item over any transport's System Event Log: compliant while the
// log is below the configured fill ratio; re-applying means reserve → read
// every entry → archive durably → clear with that reservation. A clear after
// entries arrived since the reservation must fail at the BMC (IPMI cancels
// the reservation; the Redfish source re-checks before clearing), so nothing
// vanishes unarchived; the next pass picks them up.
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
  std::vector<SelEntry> entries;
};

class SelSource {
 public:
  virtual ~SelSource() = default;
  virtual std::string transport() const = 0;
  virtual void fill(std::function<void(SelFill)> done) = 0;
  // Takes the reservation first, then reads every entry.
  virtual void reserve_and_read(std::function<void(SelRead)> done) = 0;
  virtual void clear(const std::string& reservation, std::function<void(ActOutcome)> done) = 0;
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
