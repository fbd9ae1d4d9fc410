#include "platform/smbios.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/files.hpp"

namespace bmcquiet {
namespace {

constexpr std::uint8_t kHostInterfaceType = 42;
constexpr std::uint8_t kEndOfTable = 127;
constexpr std::uint8_t kNetworkHostInterface = 0x40;
constexpr std::uint8_t kRedfishOverIp = 0x04;
constexpr std::size_t kRedfishRecordFixed = 91;  // bytes before the hostname

std::uint8_t u8(std::string_view b, std::size_t at) { return static_cast<std::uint8_t>(b[at]); }

std::string address(std::string_view b, std::size_t at, std::uint8_t format) {
  char text[INET6_ADDRSTRLEN] = {};
  if (format == 0x01) {
    inet_ntop(AF_INET, b.data() + at, text, sizeof text);
    return text;
  }
  if (format == 0x02) {
    inet_ntop(AF_INET6, b.data() + at, text, sizeof text);
    return fmt::format("[{}]", text);
  }
  return {};
}

bool all_zero(std::string_view b, std::size_t at, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (b[at + i] != 0) return false;
  return true;
}

// One Redfish-over-IP protocol record's data (DSP0270 table 5).
HostInterfaceResult read_redfish_record(std::string_view d, const std::string& where) {
  if (d.size() < kRedfishRecordFixed)
    return {std::nullopt, fmt::format("{}: Redfish over IP record has {} bytes, needs {}", where,
                                      d.size(), kRedfishRecordFixed)};
  const auto format = u8(d, 51);
  const auto port = static_cast<unsigned>(u8(d, 84) | (u8(d, 85) << 8));
  const auto name_len = u8(d, 90);
  if (kRedfishRecordFixed + name_len > d.size())
    return {std::nullopt,
            fmt::format("{}: Redfish hostname length {} runs past the record", where, name_len)};
  RedfishHostInterface hi;
  hi.hostname = std::string(d.substr(kRedfishRecordFixed, name_len));
  while (!hi.hostname.empty() && hi.hostname.back() == '\0') hi.hostname.pop_back();
  const auto addr_len = format == 0x01 ? 4u : 16u;
  std::string host = (format == 0x01 || format == 0x02) && !all_zero(d, 52, addr_len)
                         ? address(d, 52, format)
                         : hi.hostname;
  if (host.empty())
    return {std::nullopt, fmt::format("{}: the Redfish service address is not static (discovery "
                                      "type {}) and no hostname is given; set bmc.redfish.url",
                                      where, u8(d, 50))};
  hi.url = port ? fmt::format("https://{}:{}", host, port) : fmt::format("https://{}", host);
  return {std::move(hi), {}};
}

// The formatted area of one type 42 structure.
HostInterfaceResult read_type42(std::string_view s, const std::string& where) {
  if (s.size() < 7) return {std::nullopt, fmt::format("{}: type 42 structure too short", where)};
  if (u8(s, 4) != kNetworkHostInterface) return {};
  std::size_t at = 6 + u8(s, 5);
  if (at >= s.size())
    return {std::nullopt,
            fmt::format("{}: interface data length {} runs past the structure", where, u8(s, 5))};
  const unsigned records = u8(s, at++);
  for (unsigned i = 0; i < records; ++i) {
    if (at + 2 > s.size())
      return {std::nullopt,
              fmt::format("{}: protocol record {} runs past the structure", where, i)};
    const auto type = u8(s, at);
    const std::size_t len = u8(s, at + 1);
    if (at + 2 + len > s.size())
      return {std::nullopt, fmt::format("{}: protocol record {} length {} runs past the structure",
                                        where, i, len)};
    if (type == kRedfishOverIp) return read_redfish_record(s.substr(at + 2, len), where);
    at += 2 + len;
  }
  return {};
}

}  // namespace

HostInterfaceResult parse_redfish_host_interface(std::string_view t, const std::string& source) {
  std::size_t at = 0;
  while (at + 4 <= t.size()) {
    const auto type = u8(t, at);
    const std::size_t len = u8(t, at + 1);
    const auto where = fmt::format("{} at offset {}", source, at);
    if (len < 4 || at + len > t.size())
      return {std::nullopt, fmt::format("{}: structure type {} has length {} (table is {} bytes); "
                                        "the DMI table is malformed",
                                        where, type, len, t.size())};
    if (type == kHostInterfaceType) {
      auto r = read_type42(t.substr(at, len), where);
      if (r.found || !r.error.empty()) return r;
    }
    if (type == kEndOfTable) return {};
    auto strings_end = t.find(std::string_view("\0\0", 2), at + len);
    if (strings_end == std::string_view::npos)
      return {std::nullopt,
              fmt::format("{}: string set of structure type {} is not terminated", where, type)};
    at = strings_end + 2;
  }
  return {};
}

HostInterfaceResult find_redfish_host_interface(const std::string& sysfs) {
  const auto path = sysfs + "/firmware/dmi/tables/DMI";
  errno = 0;
  auto table = read_small_file(path, 1024 * 1024);
  if (!table)
    return {std::nullopt, errno == ENOENT ? ""
                                          : fmt::format("cannot read {}: {} (run as root?)", path,
                                                        std::strerror(errno ? errno : EIO))};
  return parse_redfish_host_interface(*table, path);
}

}  // namespace bmcquiet
