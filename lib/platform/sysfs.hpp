#pragma once

#include <optional>
#include <string>

namespace bmcquiet {

// Reads a whole small kernel file (procfs/sysfs; they report size 0, so no
// stat-based sizing). nullopt when it cannot be opened or read.
std::optional<std::string> read_small_file(const std::string& path,
                                           std::size_t limit = 16 * 1024 * 1024);

}  // namespace bmcquiet
