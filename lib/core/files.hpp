#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace bmcquiet {

// Reads a whole small kernel file (procfs/sysfs; they report size 0, so no
// stat-based sizing). nullopt when it cannot be opened or read.
std::optional<std::string> read_small_file(const std::string& path,
                                           std::size_t limit = 16 * 1024 * 1024);

// What read_regular_file found: the text, or why there is none.
struct RegularFileText {
  std::optional<std::string> text;
  std::string error;     // set when text is not: what is wrong and what to do
  bool refused = false;  // it exists but is not a file we read (kind or size)
};

// Reads an operator's file (the config) whole, or refuses it. Opened
// non-blocking and checked with fstat first: a FIFO, device or directory would
// block the event loop or never end. A file over limit is refused, never
// truncated: a bad key past the limit must not pass as OK.
RegularFileText read_regular_file(const std::string& path, std::size_t limit);

}  // namespace bmcquiet
