// MAC addresses as text, in one spelling ("aa:bb:cc:dd:ee:ff"), so the BMC's
// (Redfish, IPMI) and the host's (sysfs, ethtool) compare as equal strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bmcquiet {

// Lower case, ':'-separated, from any case with ':' or '-' separators;
// nullopt when it is not six hex bytes, or all zeros / all ones.
std::optional<std::string> normalise_mac(const std::string& text);

// b - a when both share their first three octets (one vendor's block) and
// b follows a; nullopt otherwise. Inputs are normalised addresses.
std::optional<std::uint32_t> mac_distance(const std::string& a, const std::string& b);

}  // namespace bmcquiet
