#include "core/mac_address.hpp"

#include <cctype>

#include <fmt/format.h>

namespace bmcquiet {

std::optional<std::string> normalise_mac(const std::string& text) {
  std::string hex;
  for (char c : text) {
    if (c == ':' || c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 12 || hex == "000000000000" || hex == "ffffffffffff") return std::nullopt;
  return fmt::format("{}:{}:{}:{}:{}:{}", hex.substr(0, 2), hex.substr(2, 2), hex.substr(4, 2),
                     hex.substr(6, 2), hex.substr(8, 2), hex.substr(10, 2));
}

std::optional<std::uint32_t> mac_distance(const std::string& a, const std::string& b) {
  if (a.size() != 17 || b.size() != 17 || a.compare(0, 8, b, 0, 8) != 0) return std::nullopt;
  const auto low = [](const std::string& m) {
    return std::stoul(m.substr(9, 2) + m.substr(12, 2) + m.substr(15, 2), nullptr, 16);
  };
  const auto la = low(a), lb = low(b);
  if (lb <= la) return std::nullopt;
  return static_cast<std::uint32_t>(lb - la);
}

}  // namespace bmcquiet
