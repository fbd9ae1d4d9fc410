#include "platform/net_ifaces.hpp"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "core/files.hpp"
#include "core/mac_address.hpp"

namespace bmcquiet {
namespace {

namespace fs = std::filesystem;

std::string trimmed(std::optional<std::string> text) {
  if (!text) return {};
  while (!text->empty() && std::isspace(static_cast<unsigned char>(text->back()))) text->pop_back();
  return *text;
}

// The bus a device link leads to ("pci", "usb", ...), "" without one.
std::string device_bus(const fs::path& iface) {
  std::error_code ec;
  const auto bus = fs::read_symlink(iface / "device" / "subsystem", ec);
  return ec ? std::string() : bus.filename().string();
}

std::optional<HostInterface> read_interface(const fs::path& dir, const PermAddressReader& perm) {
  if (trimmed(read_small_file((dir / "type").string(), 64)) != "1") return std::nullopt;
  if (device_bus(dir) != "pci") return std::nullopt;
  HostInterface h;
  h.name = dir.filename().string();
  h.address = normalise_mac(trimmed(read_small_file((dir / "address").string(), 256))).value_or("");
  if (h.address.empty()) return std::nullopt;
  h.perm_address = normalise_mac(perm ? perm(h.name) : std::string()).value_or("");
  std::error_code ec;
  h.pci = fs::canonical(dir / "device", ec).filename().string();
  return h;
}

}  // namespace

std::string ethtool_perm_address(const std::string& ifname) {
  if (ifname.size() >= IFNAMSIZ) return {};
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  constexpr std::uint32_t kMaxAddr = 32;  // the kernel's MAX_ADDR_LEN
  // The answer's address follows the header (a flexible array member).
  alignas(ethtool_perm_addr) unsigned char buf[sizeof(ethtool_perm_addr) + kMaxAddr] = {};
  auto* req = reinterpret_cast<ethtool_perm_addr*>(buf);
  req->cmd = ETHTOOL_GPERMADDR;
  req->size = kMaxAddr;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
  ifr.ifr_data = reinterpret_cast<char*>(buf);
  const int rc = ::ioctl(fd, SIOCETHTOOL, &ifr);
  ::close(fd);
  if (rc != 0 || req->size != 6) return {};
  const auto* d = buf + sizeof(ethtool_perm_addr);
  // Drivers without one answer zeros (ethtool -P: "not set").
  return normalise_mac(fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", d[0], d[1], d[2],
                                   d[3], d[4], d[5]))
      .value_or("");
}

std::vector<HostInterface> host_interfaces(const std::string& sysfs,
                                           const PermAddressReader& perm) {
  std::vector<HostInterface> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(sysfs) / "class" / "net", ec))
    if (auto h = read_interface(entry.path(), perm)) out.push_back(std::move(*h));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace bmcquiet
