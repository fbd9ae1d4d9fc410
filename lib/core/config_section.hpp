// Typed, position-aware access to one mapping of the YAML config.
//
// Every getter names the key it reads, so the set of keys a section queried is
// exactly the set it allows: finish() reports any other key as unknown, with
// file:line:column, so a typo can never silently disable something.
// yaml-cpp stays behind a pimpl: this header is included by every collector.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bmcquiet {

struct ConfigIssue {
  std::string file;
  int line = 0;  // 1-based; 0 when the position is unknown
  int column = 0;
  std::string key;  // dotted path, e.g. collectors.interrupts.interval
  std::string message;

  std::string str() const;  // "file:line:col: key: message"
};

// Collects every issue found while reading one config file.
class ConfigDiagnostics {
 public:
  explicit ConfigDiagnostics(std::string file) : file_(std::move(file)) {}
  void add(int line, int column, std::string key, std::string message);
  // Legal but likely wrong (an interval shorter than its deadline): logged at
  // load and printed by --check-config; the file is still accepted.
  void warn(int line, int column, std::string key, std::string message);
  // An issue found in another file this one names (e.g. the web config).
  void add_issue(ConfigIssue issue) { issues_.push_back(std::move(issue)); }
  const std::vector<ConfigIssue>& issues() const { return issues_; }
  const std::vector<ConfigIssue>& warnings() const { return warnings_; }
  bool ok() const { return issues_.empty(); }
  const std::string& file() const { return file_; }
  std::string summary() const;  // one issue per line

 private:
  std::string file_;
  std::vector<ConfigIssue> issues_, warnings_;
};

class ConfigSection {
 public:
  struct Impl;
  explicit ConfigSection(std::shared_ptr<Impl> impl);
  ~ConfigSection();
  ConfigSection(ConfigSection&&) noexcept;
  ConfigSection& operator=(ConfigSection&&) noexcept;

  // Parses YAML text; syntax errors land in diag and an empty section is returned.
  static ConfigSection parse(std::string_view text, std::shared_ptr<ConfigDiagnostics> diag);

  bool has(std::string_view key);  // marks the key as known
  bool get_bool(std::string_view key, bool fallback);
  std::int64_t get_int(std::string_view key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  double get_double(std::string_view key, double fallback, double min, double max);
  std::string get_string(std::string_view key, std::string fallback);
  std::optional<std::string> get_optional_string(std::string_view key);
  std::string get_enum(std::string_view key, std::string fallback,
                       std::initializer_list<std::string_view> allowed);
  // Durations are strings with a unit: "250ms", "1s", "5m", "1h", "2d", "10us".
  std::chrono::nanoseconds get_duration(std::string_view key, std::chrono::nanoseconds fallback,
                                        std::chrono::nanoseconds min, std::chrono::nanoseconds max);
  std::vector<std::string> get_string_list(std::string_view key);
  // A nested mapping; absent → an empty section (so its defaults apply).
  ConfigSection section(std::string_view key);
  // A sequence of mappings.
  std::vector<ConfigSection> section_list(std::string_view key);
  // Keys of this mapping (for maps keyed by name, e.g. collectors).
  std::vector<std::string> keys() const;

  // Reports a semantic problem at key's position (or the section's, if absent).
  void error(std::string_view key, std::string message);
  void warn(std::string_view key, std::string message);
  // Reports every key that no getter asked for.
  void finish();

  const std::string& path() const;  // dotted path of this section
  // This section's content as one line, mapping keys sorted: two sections say
  // the same exactly when their canonical texts are equal (comments, key order
  // and layout aside). Tells a reload whether a section changed.
  std::string canonical() const;
  std::shared_ptr<ConfigDiagnostics> diagnostics() const;

 private:
  std::shared_ptr<Impl> impl_;
};

// "1s" → 1e9 ns; units ns, us, ms, s, m, h, d. Returns nullopt on malformed
// input and on durations past int64 nanoseconds (~292 years).
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);
// The largest unit that divides d: 1500ms, 5m, 2d ("0s" for zero).
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace bmcquiet
