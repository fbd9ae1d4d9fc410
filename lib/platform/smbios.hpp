// SMBIOS type 42 (Management Controller Host Interface, DSP0134 §7.43) with
// the Redfish-over-IP protocol record (DSP0270): where the in-band Redfish
// service lives when no URL is configured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bmcquiet {

struct RedfishHostInterface {
  std::string url;  // https://169.254.0.17:443, https://[fe80::1]:443 or https://hostname
  std::string hostname;
};

struct HostInterfaceResult {
  std::optional<RedfishHostInterface> found;
  std::string error;  // set when the table is malformed or unreadable; "" when simply absent
};

// Parses a raw DMI structure table (the content of /sys/firmware/dmi/tables/DMI).
// `source` names the file in error messages.
HostInterfaceResult parse_redfish_host_interface(std::string_view table, const std::string& source);
// Reads <sysfs>/firmware/dmi/tables/DMI.
HostInterfaceResult find_redfish_host_interface(const std::string& sysfs);

}  // namespace bmcquiet
