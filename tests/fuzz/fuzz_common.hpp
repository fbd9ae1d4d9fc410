// Shared by the libFuzzer harnesses: quiet logging (a log line per input
// would dominate the run) and the input as text.
#pragma once

#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bmcquiet::fuzz {

inline void quiet_logs() {
  static const bool once = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)once;
}

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace bmcquiet::fuzz
