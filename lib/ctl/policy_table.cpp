#include "ctl/policy_table.hpp"

#include <ctime>

#include <fmt/format.h>
#include <boost/json.hpp>

namespace bmcquiet::ctl {
namespace {

namespace json = boost::json;

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

double num(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : 0;
}

// Past year 9999 (or NaN, from a hand-edited pause file) there is no date to
// show, and converting such a double to time_t is undefined.
std::string utc(double unix_seconds) {
  if (!(unix_seconds > 0)) return "never";
  if (unix_seconds > 253402300799.0) return fmt::format("{:.0f} s after 1970", unix_seconds);
  std::time_t t = std::time_t(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string cut(std::string s, std::size_t width) {
  if (s.size() > width) s = s.substr(0, width - 1) + "~";
  return s;
}

std::string pause_line(const json::object& root) {
  const auto* pause = root.if_contains("pause");
  if (pause && pause->is_object()) {
    const auto& p = pause->as_object();
    const double until = num(p, "until");
    return fmt::format("yes, {} (since {}): {}",
                       until > 0 ? "until " + utc(until) : "until resumed", utc(num(p, "since")),
                       str(p, "reason"));
  }
  if (!str(root, "pause_error").empty())
    return "yes (the pause file is unreadable: " + str(root, "pause_error") + ")";
  return "no";
}

}  // namespace

std::string render_status(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  // Another version's daemon may answer in another shape: "not a status"
  // (the caller says so), never an exception from as_array().
  if (ec || !v.is_object() || !v.as_object().contains("items") ||
      !v.as_object().at("items").is_array())
    return {};
  const auto& root = v.as_object();
  std::string out;
  out += fmt::format("BMC        {}\n", str(root, "identity"));
  out +=
      fmt::format("Profile    {}\n", str(root, "profile").empty() ? "none" : str(root, "profile"));
  out += fmt::format("           {}\n", str(root, "identification"));
  out += fmt::format("Paused     {}\n", pause_line(root));
  out += fmt::format("Last pass  {}\n\n", utc(num(root, "last_reconcile")));
  out += fmt::format("{:<21} {:<8} {:<18} {:<22} {:<22} {:<10} {}\n", "SETTING", "MODE", "STATE",
                     "CURRENT", "DESIRED", "TRANSPORT", "NOTE");
  for (const auto& item : root.at("items").as_array()) {
    if (!item.is_object()) continue;
    const auto& i = item.as_object();
    // What holds an enforced item back (paused, flapping) shows beside its state.
    std::string state = str(i, "state");
    const auto visible = str(i, "visible_state");
    if (!visible.empty() && visible != state && visible != "unknown") state += "/" + visible;
    out += fmt::format("{:<21} {:<8} {:<18} {:<22} {:<22} {:<10} {}\n", str(i, "setting"),
                       str(i, "mode"), state, cut(str(i, "current"), 22),
                       cut(str(i, "desired"), 22), str(i, "transport"), str(i, "detail"));
  }
  return out;
}

std::string render_plan(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object() || !v.as_object().contains("changes") ||
      !v.as_object().at("changes").is_array())
    return {};
  const auto& changes = v.as_object().at("changes").as_array();
  if (changes.empty())
    return "Nothing to change: every setting that could be read matches the policy.\n";
  std::string out = fmt::format("{:<21} {:<8} {:<22} {:<22} {:<10} {}\n", "SETTING", "MODE",
                                "CURRENT", "WOULD SET", "TRANSPORT", "ACTION");
  for (const auto& c : changes) {
    if (!c.is_object()) continue;
    const auto& o = c.as_object();
    const auto blocked = str(o, "blocked_by");
    out += fmt::format("{:<21} {:<8} {:<22} {:<22} {:<10} {}\n", str(o, "setting"), str(o, "mode"),
                       cut(str(o, "current"), 22), cut(str(o, "desired"), 22), str(o, "transport"),
                       blocked.empty() ? "re-apply at the next pass" : "none: " + blocked);
  }
  return out;
}

}  // namespace bmcquiet::ctl
