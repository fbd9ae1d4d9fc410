// The origin lock: every request of the Redfish client goes to the configured
// BMC's origin (scheme, host, port) and nowhere else. Links come from BMC
// bodies (@odata.id, action targets, Location, Links.Sessions), and a
// compromised or confused BMC must not be able to send the daemon, with its
// credentials, to another host, to loopback or to a plain-http downgrade.
// So a link is reduced to a path checked here, and the request URL is always
// the configured base + that path: an authority can never come from a link.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bmcquiet::redfish {

struct Origin {
  std::string scheme;        // "http" | "https"
  std::string host;          // lower case; IPv6 literals keep their brackets
  unsigned port = 0;         // the scheme's default when the URL names none
  std::string base;          // the configured URL without a trailing "/": request URL = base + path
  std::string text() const;  // "https://bmc:443", for messages
};

struct ParsedOrigin {
  std::optional<Origin> origin;
  std::string error;  // what is wrong with bmc.redfish.url and how to write it; no secret
};
// `url` must be http(s)://HOST[:PORT] with at most a "/" after it.
ParsedOrigin parse_origin(std::string_view url);

struct ConfinedPath {
  std::string path;   // absolute path on the BMC ("/redfish/v1/...", query kept); "" if refused
  std::string error;  // "refused link <link>: <why> (<what to do>)"
  bool ok() const { return error.empty(); }
};
// `link` as found in a body or passed by a caller: an absolute path starting
// with exactly one "/", or an absolute URL of the same origin (its path is
// used). Anything else is refused.
ConfinedPath confine_to_origin(const Origin& origin, std::string_view link);

// A link as it may appear in an error or log line: user information hidden,
// control and non-ASCII bytes escaped (no header or log-line injection),
// at most 200 characters.
std::string printable_link(std::string_view link);

}  // namespace bmcquiet::redfish
