// bmc.redfish: the Redfish client's settings, validated where they are read.
#include <fmt/format.h>

#include "core/config_section.hpp"
#include "core/log.hpp"
#include "platform/smbios.hpp"
#include "redfish/client.hpp"
#include "redfish/origin.hpp"

namespace bmcquiet::redfish {
namespace {

std::chrono::milliseconds ms(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

void read_tls(ConfigSection& s, ClientOptions& o) {
  o.ca_file = s.get_string("ca_file", "");
  o.pinned_public_key = s.get_string("pinned_public_key", "");
  o.insecure = s.get_bool("insecure", false);
  if (!o.pinned_public_key.empty() && !o.pinned_public_key.starts_with("sha256//"))
    s.error("pinned_public_key",
            "write sha256//BASE64 (openssl x509 -pubkey -noout -in bmc.pem | openssl pkey "
            "-pubin -outform der | openssl dgst -sha256 -binary | base64)");
}

}  // namespace

std::optional<ClientOptions> read_client_options(ConfigSection& s, const std::string& sysfs) {
  ClientOptions o;
  o.url = s.get_string("url", "");
  const bool host_interface = s.get_bool("host_interface", true);
  o.username = s.get_string("username", "");
  o.password_credential = s.get_string("password_credential", o.password_credential);
  o.password_file = s.get_string("password_file", "");
  o.auth = s.get_enum("auth", "session", {"session", "basic"});
  o.basic_fallback = s.get_bool("basic_fallback", false);
  read_tls(s, o);
  o.request_timeout = ms(s.get_duration("request_timeout", o.request_timeout, 100ms, 5min));
  o.poll_deadline = ms(s.get_duration("poll_deadline", o.poll_deadline, 100ms, 1h));
  o.max_response_bytes = static_cast<std::size_t>(
      s.get_int("max_response_bytes", 4 * 1024 * 1024, 4096, 256 * 1024 * 1024));
  o.max_in_flight = static_cast<unsigned>(s.get_int("max_in_flight", 2, 1, 16));
  o.backoff_initial = ms(s.get_duration("backoff_initial", 1s, 0ms, 1h));
  o.backoff_max = ms(s.get_duration("backoff_max", 5min, 0ms, 24h));
  if (o.backoff_max < o.backoff_initial) s.error("backoff_max", "must be at least backoff_initial");
  o.data_model = s.get_enum("data_model", "auto", {"auto", "legacy", "subsystem"});
  o.log_interval = ms(s.get_duration("log_interval", o.log_interval, 0ms, 24h));
  o.slow_interval = ms(s.get_duration("slow_interval", o.slow_interval, 0ms, 24h));
  o.max_series = static_cast<std::size_t>(s.get_int("max_series", 5000, 100, 1'000'000));

  if (o.url.empty() && host_interface) {
    auto hi = find_redfish_host_interface(sysfs);
    if (hi.found) o.url = hi.found->url;
    if (!hi.error.empty())  // the rest of the daemon must still start
      log_event(spdlog::level::warn, "no Redfish Host Interface from SMBIOS; set bmc.redfish.url",
                {{"ERROR", hi.error}});
  }
  if (o.url.empty()) return std::nullopt;  // no BMC to talk to: Redfish stays off
  if (auto parsed = parse_origin(o.url); !parsed.origin) {
    std::string_view why = parsed.error;  // names the key itself, as the client's errors do
    if (why.starts_with("bmc.redfish.url ")) why.remove_prefix(16);
    s.error("url", std::string(why));
  }
  if (o.url.starts_with("http://") && !o.insecure)
    s.error("url",
            "plain http:// sends the BMC password in clear; use https:// or set "
            "insecure: true to accept that");
  if (o.username.empty())
    s.error("username",
            "set the BMC user the daemon logs in as (the password comes from the "
            "credential or password_file, never from this file)");
  return o;
}

}  // namespace bmcquiet::redfish
