// IANA private enterprise numbers of BMC vendors, as Get Device ID reports
// them (20 bits). The one table: vendor profiles (policy/profiles.cpp) match
// on these numbers and the IPMI collector names the vendor with them.
#pragma once

#include <cstdint>
#include <string>

namespace bmcquiet::ipmi::iana {

inline constexpr std::uint32_t kHp = 11, kDell = 674, kSupermicro = 10876, kLenovo = 19046,
                               kAmi = 20974, kHpe = 47196, kOpenBmc = 49871;

// The vendor's name ("Supermicro", "Dell", ...), or "iana:<number>" for a
// number this table does not know: never empty, never a guess.
std::string vendor_name(std::uint32_t manufacturer_id);

}  // namespace bmcquiet::ipmi::iana
