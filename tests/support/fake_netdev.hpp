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

// One interface under <root>/<sysfs>class/net, laid out as described above.
// sysfs: "" or a folder under root ending in '/' (e.g. "sys/"). bus "" = a
// virtual interface (no device link); type 1 = Ethernet.
inline void add_fake_netdev(const TempDir& root, const std::string& sysfs, const std::string& name,
                            const std::string& mac, const std::string& bus = "pci",
                            const std::string& device = "0000:3b:00.0", int type = 1) {
  namespace fs = std::filesystem;
  const auto dir = sysfs + "class/net/" + name;
  root.write(dir + "/address", mac + "\n");
  root.write(dir + "/type", std::to_string(type) + "\n");
  if (bus.empty()) return;
  const auto base = fs::path(root.path()) / sysfs;
  const auto dev = base / "devices" / ("pci0000:00/" + device);
  fs::create_directories(dev);
  fs::create_directories(base / "bus" / bus);
  std::error_code ec;
  fs::create_directory_symlink(base / "bus" / bus, dev / "subsystem", ec);
  fs::create_directory_symlink(dev, base / dir.substr(sysfs.size()) / "device", ec);
}

struct FakeNetdevs {
  TempDir root;
  std::map<std::string, std::string> perm;  // ifname -> permanent MAC

  void add(const std::string& name, const std::string& mac, const std::string& bus = "pci",
           const std::string& device = "0000:3b:00.0", int type = 1,
           const std::string& perm_mac = "") {
    add_fake_netdev(root, "", name, mac, bus, device, type);
    if (!perm_mac.empty()) perm[name] = perm_mac;
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
