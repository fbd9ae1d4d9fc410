#include "core/config_section.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace bmcquiet {

std::string ConfigIssue::str() const {
  std::string where = line > 0 ? fmt::format("{}:{}:{}", file, line, column) : file;
  return key.empty() ? fmt::format("{}: {}", where, message)
                     : fmt::format("{}: {}: {}", where, key, message);
}

void ConfigDiagnostics::add(int line, int column, std::string key, std::string message) {
  issues_.push_back({file_, line, column, std::move(key), std::move(message)});
}

void ConfigDiagnostics::warn(int line, int column, std::string key, std::string message) {
  warnings_.push_back({file_, line, column, std::move(key), std::move(message)});
}

std::string ConfigDiagnostics::summary() const {
  std::string out;
  for (const auto& issue : issues_) {
    if (!out.empty()) out += '\n';
    out += issue.str();
  }
  return out;
}

struct ConfigSection::Impl {
  YAML::Node node;
  std::string path;
  YAML::Mark mark;  // where this section starts (for errors about absent keys)
  std::shared_ptr<ConfigDiagnostics> diag;
  std::set<std::string, std::less<>> known;

  std::string key_path(std::string_view key) const {
    return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
  }
  // Looks key up without inserting it (operator[] on a mutable node would).
  std::optional<std::pair<YAML::Node, YAML::Node>> find(std::string_view key) const {
    if (!node.IsMap()) return std::nullopt;
    for (const auto& kv : node) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) return std::pair{kv.first, kv.second};
    }
    return std::nullopt;
  }
  void report(const YAML::Mark& at, std::string_view key, std::string message) const {
    const bool known_pos = !at.is_null();
    diag->add(known_pos ? at.line + 1 : 0, known_pos ? at.column + 1 : 0, key_path(key),
              std::move(message));
  }
  // Value node for key, or nullopt when absent; marks the key as allowed.
  std::optional<YAML::Node> value(std::string_view key) {
    known.emplace(key);
    auto kv = find(key);
    if (!kv) return std::nullopt;
    if (kv->second.IsNull()) {
      report(kv->second.Mark(), key, "has no value; remove the key to use the default");
      return std::nullopt;
    }
    return kv->second;
  }
  template <typename T>
  std::optional<T> scalar(std::string_view key, std::string_view expected) {
    auto v = value(key);
    if (!v) return std::nullopt;
    if (v->IsScalar()) {
      try {
        return v->as<T>();
      } catch (const YAML::Exception&) {
      }
    }
    report(v->Mark(), key,
           fmt::format("expected {}, got {}", expected,
                       v->IsScalar() ? "'" + v->Scalar() + "'"
                       : v->IsMap()  ? "a mapping"
                                     : "a list"));
    return std::nullopt;
  }
};

ConfigSection::ConfigSection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConfigSection::~ConfigSection() = default;
ConfigSection::ConfigSection(ConfigSection&&) noexcept = default;
ConfigSection& ConfigSection::operator=(ConfigSection&&) noexcept = default;

namespace {

// yaml-cpp lets an alias name the node it sits in (`&a [*a]`: a cycle) and
// expands aliases of aliases exponentially ("billion laughs"); the reload's
// canonical text walks the tree recursively and once overflowed the stack.
// No real config comes near these bounds.
constexpr int kMaxConfigDepth = 32;
constexpr long kMaxConfigNodes = 100000;

// The node past either bound (nullopt when within both); a cycle stops at
// the depth bound, an expansion at the node budget.
std::optional<YAML::Node> past_bounds(const YAML::Node& node, int depth, long& budget) {
  if (depth > kMaxConfigDepth || --budget < 0) return node;
  if (node.IsSequence())
    for (const auto& item : node)
      if (auto n = past_bounds(item, depth + 1, budget)) return n;
  if (node.IsMap())
    for (const auto& kv : node) {
      if (auto n = past_bounds(kv.first, depth + 1, budget)) return n;
      if (auto n = past_bounds(kv.second, depth + 1, budget)) return n;
    }
  return std::nullopt;
}

}  // namespace

ConfigSection ConfigSection::parse(std::string_view text, std::shared_ptr<ConfigDiagnostics> diag) {
  auto impl = std::make_shared<Impl>();
  impl->diag = diag;
  try {
    impl->node = YAML::Load(std::string(text));
    impl->mark = impl->node.Mark();
  } catch (const YAML::ParserException& e) {
    diag->add(e.mark.line + 1, e.mark.column + 1, "", "YAML syntax error: " + e.msg);
    impl->node = YAML::Node(YAML::NodeType::Map);
  }
  if (impl->node.IsNull()) impl->node = YAML::Node(YAML::NodeType::Map);
  long budget = kMaxConfigNodes;
  if (auto deep = past_bounds(impl->node, 0, budget)) {
    impl->report(deep->Mark(), "",
                 fmt::format("nested deeper than {} levels or more than {} values once aliases "
                             "are expanded (an alias inside its own anchor?); write the values out",
                             kMaxConfigDepth, kMaxConfigNodes));
    impl->node = YAML::Node(YAML::NodeType::Map);
  }
  if (!impl->node.IsMap()) {
    impl->report(impl->node.Mark(), "", "the top level must be a mapping of keys to values");
    impl->node = YAML::Node(YAML::NodeType::Map);
  }
  return ConfigSection(impl);
}

bool ConfigSection::has(std::string_view key) {
  impl_->known.emplace(key);
  return impl_->find(key).has_value();
}

bool ConfigSection::get_bool(std::string_view key, bool fallback) {
  return impl_->scalar<bool>(key, "true or false").value_or(fallback);
}

std::int64_t ConfigSection::get_int(std::string_view key, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) {
  auto v = impl_->scalar<std::int64_t>(key, "an integer");
  if (!v) return fallback;
  if (*v < min || *v > max) {
    error(key, fmt::format("{} is out of range; allowed: {} to {}", *v, min, max));
    return fallback;
  }
  return *v;
}

double ConfigSection::get_double(std::string_view key, double fallback, double min, double max) {
  auto v = impl_->scalar<double>(key, "a number");
  if (!v) return fallback;
  // YAML reads .nan and .inf as numbers, and NaN passes every range check.
  if (!std::isfinite(*v)) {
    error(key, fmt::format("{} is not a finite number; allowed: {} to {}", *v, min, max));
    return fallback;
  }
  if (*v < min || *v > max) {
    error(key, fmt::format("{} is out of range; allowed: {} to {}", *v, min, max));
    return fallback;
  }
  return *v;
}

std::string ConfigSection::get_string(std::string_view key, std::string fallback) {
  return impl_->scalar<std::string>(key, "a string").value_or(std::move(fallback));
}

std::optional<std::string> ConfigSection::get_optional_string(std::string_view key) {
  impl_->known.emplace(key);
  auto kv = impl_->find(key);
  if (!kv || kv->second.IsNull()) return std::nullopt;
  return impl_->scalar<std::string>(key, "a string");
}

std::string ConfigSection::get_enum(std::string_view key, std::string fallback,
                                    std::initializer_list<std::string_view> allowed) {
  auto v = impl_->scalar<std::string>(key, "a string");
  if (!v) return fallback;
  for (auto a : allowed) {
    if (a == *v) return *v;
  }
  error(key, fmt::format("'{}' is not allowed; allowed: {}", *v, fmt::join(allowed, ", ")));
  return fallback;
}

std::chrono::nanoseconds ConfigSection::get_duration(std::string_view key,
                                                     std::chrono::nanoseconds fallback,
                                                     std::chrono::nanoseconds min,
                                                     std::chrono::nanoseconds max) {
  auto text = impl_->scalar<std::string>(key, "a duration");
  if (!text) return fallback;
  auto d = parse_duration(*text);
  if (!d) {
    error(key, fmt::format("'{}' is not a duration; write a number with a unit: us, ms, s, m, h, "
                           "d (e.g. 500ms, 5s, 2m)",
                           *text));
    return fallback;
  }
  if (*d < min || *d > max) {
    error(key, fmt::format("{} is out of range; allowed: {} to {}", *text, format_duration(min),
                           format_duration(max)));
    return fallback;
  }
  return *d;
}

std::vector<std::string> ConfigSection::get_string_list(std::string_view key) {
  auto v = impl_->value(key);
  std::vector<std::string> out;
  if (!v) return out;
  if (!v->IsSequence()) {
    impl_->report(v->Mark(), key, "expected a list of strings");
    return out;
  }
  for (const auto& item : *v) {
    if (!item.IsScalar()) {
      impl_->report(item.Mark(), key, "expected a list of strings; this item is not a string");
      continue;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

ConfigSection ConfigSection::section(std::string_view key) {
  auto child = std::make_shared<Impl>();
  child->diag = impl_->diag;
  child->path = impl_->key_path(key);
  child->mark = impl_->mark;
  child->node = YAML::Node(YAML::NodeType::Map);
  if (auto v = impl_->value(key)) {
    if (v->IsMap()) {
      child->node = *v;
      child->mark = v->Mark();
    } else {
      impl_->report(v->Mark(), key, "expected a mapping of keys to values");
    }
  }
  return ConfigSection(child);
}

std::vector<ConfigSection> ConfigSection::section_list(std::string_view key) {
  std::vector<ConfigSection> out;
  auto v = impl_->value(key);
  if (!v) return out;
  if (!v->IsSequence()) {
    impl_->report(v->Mark(), key, "expected a list of mappings");
    return out;
  }
  std::size_t index = 0;
  for (const auto& item : *v) {
    auto child = std::make_shared<Impl>();
    child->diag = impl_->diag;
    child->path = fmt::format("{}[{}]", impl_->key_path(key), index++);
    child->mark = item.Mark();
    child->node = item.IsMap() ? YAML::Node(item) : YAML::Node(YAML::NodeType::Map);
    if (!item.IsMap()) impl_->report(item.Mark(), key, "expected each list item to be a mapping");
    out.emplace_back(child);
  }
  return out;
}

std::vector<std::string> ConfigSection::keys() const {
  std::vector<std::string> out;
  if (!impl_->node.IsMap()) return out;
  for (const auto& kv : impl_->node) {
    if (kv.first.IsScalar()) out.push_back(kv.first.Scalar());
  }
  return out;
}

void ConfigSection::error(std::string_view key, std::string message) {
  auto kv = impl_->find(key);
  impl_->report(kv ? kv->second.Mark() : impl_->mark, key, std::move(message));
}

void ConfigSection::warn(std::string_view key, std::string message) {
  auto kv = impl_->find(key);
  const auto at = kv ? kv->second.Mark() : impl_->mark;
  const bool known_pos = !at.is_null();
  impl_->diag->warn(known_pos ? at.line + 1 : 0, known_pos ? at.column + 1 : 0,
                    impl_->key_path(key), std::move(message));
}

void ConfigSection::finish() {
  if (!impl_->node.IsMap()) return;
  for (const auto& kv : impl_->node) {
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (impl_->known.count(name)) continue;
    impl_->report(kv.first.Mark(), name,
                  fmt::format("unknown key; allowed here: {}", fmt::join(impl_->known, ", ")));
  }
}

namespace {
std::string canonical_text(const YAML::Node& node) {
  // Length-prefixed, so no scalar can imitate the punctuation around it.
  if (node.IsScalar()) return fmt::format("{}'{}", node.Scalar().size(), node.Scalar());
  if (node.IsSequence()) {
    std::vector<std::string> items;
    for (const auto& item : node) items.push_back(canonical_text(item));
    return fmt::format("[{}]", fmt::join(items, ","));
  }
  if (node.IsMap()) {
    std::map<std::string, std::string> sorted;
    for (const auto& kv : node) sorted[canonical_text(kv.first)] = canonical_text(kv.second);
    std::vector<std::string> items;
    for (const auto& [key, value] : sorted) items.push_back(key + ":" + value);
    return fmt::format("{{{}}}", fmt::join(items, ","));
  }
  return "~";
}
}  // namespace

std::string ConfigSection::canonical() const { return canonical_text(impl_->node); }

const std::string& ConfigSection::path() const { return impl_->path; }
std::shared_ptr<ConfigDiagnostics> ConfigSection::diagnostics() const { return impl_->diag; }

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // from_chars accepts "nan" and "inf"; both, like negative values, are no duration.
  if (ec != std::errc() || end == text.data() || !std::isfinite(value) || value < 0)
    return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  double scale = 0;
  if (unit == "ns")
    scale = 1;
  else if (unit == "us")
    scale = 1e3;
  else if (unit == "ms")
    scale = 1e6;
  else if (unit == "s")
    scale = 1e9;
  else if (unit == "m")
    scale = 60e9;
  else if (unit == "h")
    scale = 3600e9;
  else if (unit == "d")
    scale = 86400e9;
  else
    return std::nullopt;
  // Beyond ~292 years the nanoseconds overflow int64 (a float→int cast is then UB).
  const double ns = value * scale;
  if (ns >= 9.2e18) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
}

std::string format_duration(std::chrono::nanoseconds d) {
  static constexpr std::pair<std::int64_t, const char*> kUnits[] = {
      {86400'000'000'000, "d"}, {3600'000'000'000, "h"}, {60'000'000'000, "m"},
      {1'000'000'000, "s"},     {1'000'000, "ms"},       {1'000, "us"}};
  const auto ns = d.count();
  for (auto [scale, unit] : kUnits)
    if (ns != 0 && ns % scale == 0) return fmt::format("{}{}", ns / scale, unit);
  return ns == 0 ? "0s" : fmt::format("{}ns", ns);
}

}  // namespace bmcquiet
