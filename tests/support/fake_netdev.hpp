// A fake <sysfs>/class/net tree, laid out as the kernel does it: the
// interface's `device` links to its device under devices/, whose `subsystem`
// links to the bus (pci, usb); virtual interfaces have no `device`. The
// permanent MACs, which sysfs does not show, come from a map handed to the
// code as its PermAddressReader (in place of the ETHTOOL_GPERMADDR ioctl).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "platform/net_ifaces.hpp"
#include "support/helpers.hpp"

namespace bmcquiet::test {

struct FakeNetdevs {
  TempDir root;
  std::map<std::string, std::string> perm;  // ifname -> permanent MAC

  // bus "" = a virtual interface (no device link); type 1 = Ethernet.
  void add(const std::string& name, const std::string& mac, const std::string& bus = "pci",
           const std::string& device = "0000:3b:00.0", int type = 1,
           const std::string& perm_mac = "") {
    namespace fs = std::filesystem;
    const auto dir = "class/net/" + name;
    root.write(dir + "/address", mac + "\n");
    root.write(dir + "/type", std::to_string(type) + "\n");
    if (!perm_mac.empty()) perm[name] = perm_mac;
    if (bus.empty()) return;
    const auto dev = fs::path(root.path()) / "devices" / ("pci0000:00/" + device);
    fs::create_directories(dev);
    fs::create_directories(fs::path(root.path()) / "bus" / bus);
    std::error_code ec;
    fs::create_directory_symlink(fs::path(root.path()) / "bus" / bus, dev / "subsystem", ec);
    fs::create_directory_symlink(dev, fs::path(root.path()) / dir / "device", ec);
  }

  PermAddressReader reader() const {
    return [map = perm](const std::string& ifname) {
      auto it = map.find(ifname);
      return it == map.end() ? std::string() : it->second;
    };
  }
  const std::string& sysfs() const { return root.path(); }
};

}  // namespace bmcquiet::test
