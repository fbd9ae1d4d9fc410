// bmcquietctl subcommands: one small function per command, one registration
// line each in commands.cpp.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bmcquiet::ctl {

struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `bmcquietctl --help`
  // argv after the command name; returns the process exit code.
  int (*run)(std::span<const std::string> args);
};

const std::vector<Command>& commands();

}  // namespace bmcquiet::ctl
