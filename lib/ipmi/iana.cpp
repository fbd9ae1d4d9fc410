#include "ipmi/iana.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>

namespace bmcquiet::ipmi::iana {

std::string vendor_name(std::uint32_t manufacturer_id) {
  static constexpr std::array<std::pair<std::uint32_t, const char*>, 7> kNames{{
      {kHp, "HP"},
      {kDell, "Dell"},
      {kSupermicro, "Supermicro"},
      {kLenovo, "Lenovo"},
      {kAmi, "AMI"},
      {kHpe, "HPE"},
      {kOpenBmc, "OpenBMC"},
  }};
  for (const auto& [id, name] : kNames)
    if (id == manufacturer_id) return name;
  return fmt::format("iana:{}", manufacturer_id);
}

}  // namespace bmcquiet::ipmi::iana
