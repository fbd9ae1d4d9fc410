#include "redfish/origin.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace bmcquiet::redfish {
namespace {

constexpr std::size_t kMaxPrintable = 200;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Why `path`, appended to the base URL, could end the request line, add a
// header, or be read as another authority by some URL parser; "" when safe.
std::string_view unsafe_reason(std::string_view path) {
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f)
      return "it contains a control character (CR/LF would inject headers into the request)";
    if (c == ' ') return "it contains a space (it would end the request line)";
    if (c == '\\') return "it contains a backslash (some parsers read it as \"/\")";
  }
  return {};
}

struct UrlParts {
  std::string scheme;  // lower case
  std::string_view authority, rest;
};

// "HTTPS://a:1/b?c" → {"https", "a:1", "/b?c"}; nullopt without "scheme://".
std::optional<UrlParts> split_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  const auto scheme = url.substr(0, sep);
  const auto scheme_char = [](unsigned char c) {
    return std::isalnum(c) || c == '+' || c == '-' || c == '.';
  };
  if (!std::isalpha(static_cast<unsigned char>(scheme[0])) ||
      !std::all_of(scheme.begin(), scheme.end(), scheme_char))
    return std::nullopt;
  const auto after = url.substr(sep + 3);
  const auto end = after.find_first_of("/?#");
  return UrlParts{lower(scheme), after.substr(0, end),
                  end == std::string_view::npos ? std::string_view() : after.substr(end)};
}

unsigned default_port(std::string_view scheme) {
  return scheme == "https" ? 443 : scheme == "http" ? 80 : 0;
}

struct HostPort {
  std::string host;
  unsigned port = 0;
  std::string error;
};

HostPort parse_authority(std::string_view authority, unsigned default_port) {
  if (authority.find('@') != std::string_view::npos)
    return {{}, 0, "it carries user information (user:password@)"};
  std::string_view host = authority, port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return {{}, 0, "its IPv6 address has no closing ']'"};
    host = authority.substr(0, close + 1);
    port = authority.substr(close + 1);
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon);
  }
  if (host.empty()) return {{}, 0, "it names no host"};
  if (!unsafe_reason(host).empty() || host.find_first_of("/?#") != std::string_view::npos)
    return {{}, 0, "its host contains a control character, space or backslash"};
  HostPort out{lower(host), default_port, {}};
  if (port.empty()) return out;
  const auto digits = port.substr(1);
  if (port[0] != ':' || digits.size() > 5 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return {{}, 0, "its port is not a number"};
  if (digits.empty()) return out;  // "host:" means the default port
  out.port = static_cast<unsigned>(std::stoul(std::string(digits)));
  if (out.port == 0 || out.port > 65535) return {{}, 0, "its port is outside 1-65535"};
  return out;
}

}  // namespace

std::string Origin::text() const { return fmt::format("{}://{}:{}", scheme, host, port); }

ParsedOrigin parse_origin(std::string_view url) {
  const auto fail = [&](std::string_view why) {
    return ParsedOrigin{std::nullopt,
                        fmt::format("bmc.redfish.url '{}': {}; write https://HOST[:PORT]",
                                    printable_link(url), why)};
  };
  auto parts = split_url(url);
  if (!parts || default_port(parts->scheme) == 0) return fail("not an http(s) URL");
  auto rest = parts->rest;
  while (rest.ends_with('/')) rest.remove_suffix(1);
  if (!rest.empty())
    return fail("it has a path, query or fragment (Redfish starts at /redfish/v1 on the BMC)");
  if (parts->authority.find('@') != std::string_view::npos)
    return fail(
        "it carries user information; the user goes in bmc.redfish.username and the password "
        "in its credential");
  auto hp = parse_authority(parts->authority, default_port(parts->scheme));
  if (!hp.error.empty()) return fail(hp.error);
  auto base = std::string(url.substr(0, url.find("://") + 3)) + std::string(parts->authority);
  return {Origin{parts->scheme, std::move(hp.host), hp.port, std::move(base)}, {}};
}

ConfinedPath confine_to_origin(const Origin& origin, std::string_view link) {
  const auto refuse = [&](std::string_view why) {
    return ConfinedPath{{}, fmt::format("refused link {}: {}", printable_link(link), why)};
  };
  const auto elsewhere = fmt::format(
      "not the configured BMC origin {} (a BMC-supplied @odata.id or action target pointing "
      "elsewhere is never fetched)",
      origin.text());
  std::string_view path;
  if (link.starts_with("//")) {
    return refuse(fmt::format("a \"//host\" reference names another host; {}", elsewhere));
  } else if (link.starts_with('/')) {
    path = link;
  } else if (auto parts = split_url(link)) {
    auto hp = parse_authority(parts->authority, default_port(parts->scheme));
    if (!hp.error.empty()) return refuse(fmt::format("{}; {}", hp.error, elsewhere));
    if (parts->scheme != origin.scheme || hp.host != origin.host || hp.port != origin.port)
      return refuse(elsewhere);
    path = parts->rest;
  } else {
    return refuse(fmt::format(
        "neither an absolute path (\"/redfish/v1/...\") nor a URL of the configured BMC origin {}",
        origin.text()));
  }
  if (auto why = unsafe_reason(path); !why.empty()) return refuse(why);
  return {path.starts_with('/') ? std::string(path) : "/" + std::string(path), {}};
}

std::string printable_link(std::string_view link) {
  std::string hidden;
  if (const auto sep = link.find("://"); sep != std::string_view::npos) {
    const auto end = link.find_first_of("/?#", sep + 3);
    const auto at = link.substr(0, end).rfind('@');
    if (at != std::string_view::npos && at > sep) {
      hidden = std::string(link.substr(0, sep + 3)) + "***" + std::string(link.substr(at));
      link = hidden;
    }
  }
  std::string out;
  for (unsigned char c : link) {
    if (out.size() >= kMaxPrintable) return out + "...";
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

}  // namespace bmcquiet::redfish
