#include "core/log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-journal.h>

namespace bmcquiet {
namespace {

bool g_journal = false;

// JOURNAL_STREAM holds "dev:inode" of the journal socket systemd gave us as
// stderr; match it so a redirected stderr still gets plain console output.
bool stderr_is_journal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (!env || ::fstat(STDERR_FILENO, &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return LOG_DEBUG;
    case spdlog::level::info:
      return LOG_INFO;
    case spdlog::level::warn:
      return LOG_WARNING;
    case spdlog::level::err:
      return LOG_ERR;
    default:
      return LOG_CRIT;
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Length of the number (digits, one decimal part) at the start of text.
std::size_t number_length(std::string_view text) {
  std::size_t n = 0;
  while (n < text.size() && is_digit(text[n])) ++n;
  if (n + 1 < text.size() && text[n] == '.' && is_digit(text[n + 1])) {
    ++n;
    while (n < text.size() && is_digit(text[n])) ++n;
  }
  return n;
}

// Length of a time unit glued to a number ("ms" in "250ms"), 0 if none.
std::size_t unit_length(std::string_view text) {
  std::size_t n = 0;
  while (n < text.size() && is_word_char(text[n])) ++n;
  static constexpr std::string_view kUnits[] = {"ns", "us", "ms", "s", "m", "min", "h", "d"};
  for (auto unit : kUnits)
    if (text.substr(0, n) == unit) return n;
  return 0;
}

}  // namespace

std::string problem_key(std::string_view message) {
  std::string key;
  key.reserve(message.size());
  std::size_t i = 0;
  while (i < message.size()) {
    const bool word_start = i == 0 || !is_word_char(message[i - 1]);
    const bool http_status = message.substr(0, i).ends_with("HTTP ");
    if (!is_digit(message[i]) || !word_start || http_status) {
      key += message[i++];
      continue;
    }
    i += number_length(message.substr(i));
    i += unit_length(message.substr(i));
    key += '#';
  }
  return key;
}

void setup_logging(std::string_view level) {
  g_journal = stderr_is_journal();
  std::shared_ptr<spdlog::logger> logger;
  if (g_journal) {
    logger = std::make_shared<spdlog::logger>(
        "bmcquiet", std::make_shared<spdlog::sinks::systemd_sink_mt>("bmcquietd"));
    logger->set_pattern("%v");
  } else {
    logger = spdlog::stderr_color_mt("bmcquiet");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  spdlog::set_default_logger(logger);
  set_log_level(level);
}

bool set_log_level(std::string_view level) {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace},
      {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},
      {"error", spdlog::level::err}};
  for (auto [name, value] : kLevels) {
    if (name == level) {
      spdlog::set_level(value);
      return true;
    }
  }
  return false;
}

bool logging_to_journal() { return g_journal; }

void log_event(spdlog::level::level_enum level, std::string_view message,
               std::initializer_list<LogField> fields) {
  if (!spdlog::should_log(level)) return;
  if (!g_journal) {
    std::string line(message);
    for (const auto& f : fields) line += fmt::format(" {}={}", f.name, f.value);
    spdlog::log(level, "{}", line);
    return;
  }
  std::vector<std::string> storage;
  storage.reserve(fields.size() + 3);
  storage.push_back(fmt::format("MESSAGE={}", message));
  storage.push_back(fmt::format("PRIORITY={}", syslog_priority(level)));
  storage.push_back("SYSLOG_IDENTIFIER=bmcquietd");
  for (const auto& f : fields) storage.push_back(fmt::format("{}={}", f.name, f.value));
  std::vector<iovec> iov;
  for (auto& s : storage) iov.push_back({s.data(), s.size()});
  sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

}  // namespace bmcquiet
