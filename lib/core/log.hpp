// Logging: journald (with structured fields) under systemd, the console
// otherwise. Everything logs through spdlog's default logger.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace bmcquiet {

// Picks the journal when stderr is connected to it (systemd sets JOURNAL_STREAM).
void setup_logging(std::string_view level);
// False (and no change) when level is not trace|debug|info|warn|error.
bool set_log_level(std::string_view level);
bool logging_to_journal();

struct LogField {
  std::string_view name;  // journal field name: upper case, e.g. "ITEM"
  std::string value;
};

// A log line with machine-readable fields: journal fields under systemd,
// "message NAME=value ..." on the console. Callers must never pass secrets.
void log_event(spdlog::level::level_enum level, std::string_view message,
               std::initializer_list<LogField> fields);

// What a problem message is about, for one-line-per-problem de-duplication:
// each number that starts a word, with a time unit glued to it, becomes '#'
// ("timed out after 2001 ms", "3 failed polls" change on every retry). HTTP
// status codes stay: a 503 turning into a 401 is a new problem.
std::string problem_key(std::string_view message);

}  // namespace bmcquiet
