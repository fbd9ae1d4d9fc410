#pragma once

#include <string>

namespace bmcquiet {

inline constexpr const char* kDefaultConfigPath = "/etc/bmcquiet/bmcquiet.yaml";

// Roots of the kernel's filesystems, overridable (like node_exporter's
// --path.*) so containers and tests can point collectors at another tree.
struct Paths {
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string devfs = "/dev";
  std::string state = "/var/lib/bmcquiet";  // durable data (SEL archive, pause state)
};

}  // namespace bmcquiet
