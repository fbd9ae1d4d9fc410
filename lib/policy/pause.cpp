#include "policy/pause.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/files.hpp"
#include "policy/durable_file.hpp"

namespace bmcquiet::policy {

namespace json = boost::json;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string pause_file(const std::string& state_dir) { return state_dir + "/policy-pause.json"; }

PauseLoad load_pause(const std::string& state_dir) {
  const auto file = pause_file(state_dir);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return {};
  auto text = read_small_file(file, 64 * 1024);
  if (!text) return {std::nullopt, fmt::format("cannot read {}; check its permissions", file)};
  boost::system::error_code jec;
  auto value = json::parse(*text, jec);
  const auto* obj = jec ? nullptr : value.if_object();
  // A torn or hand-edited file: since/until that are no finite numbers
  // (value_to<double> would throw out of the loop) are no record either.
  const auto time = [obj](const char* key) -> std::optional<double> {
    const auto* v = obj ? obj->if_contains(key) : nullptr;
    if (!v || !v->is_number()) return std::nullopt;
    const double t = v->to_number<double>();
    return std::isfinite(t) ? std::optional(t) : std::nullopt;
  };
  const auto since = time("since"), until = time("until");
  if (!since || !until)
    return {std::nullopt, fmt::format("{} is not a pause record; remove it or run "
                                      "`bmcquietctl resume`",
                                      file)};
  PauseRecord r;
  r.since_unix = *since;
  r.until_unix = *until;
  if (const auto* reason = obj->if_contains("reason"); reason && reason->is_string())
    r.reason = std::string(reason->as_string());
  return {r, {}};
}

std::string save_pause(const std::string& state_dir, const PauseRecord& record) {
  if (auto error = ensure_directory(state_dir); !error.empty()) return error;
  json::object obj{
      {"since", record.since_unix}, {"until", record.until_unix}, {"reason", record.reason}};
  return write_file_durably(pause_file(state_dir), json::serialize(obj) + "\n");
}

std::string clear_pause(const std::string& state_dir) {
  const auto file = pause_file(state_dir);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return {};
  if (std::remove(file.c_str()) != 0 && errno != ENOENT)
    return fmt::format("cannot remove {}; check the permissions of {}", file, state_dir);
  return sync_directory(state_dir);
}

}  // namespace bmcquiet::policy
