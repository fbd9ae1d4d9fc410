// Shared by the two programs' command-line parsers (and nothing else: the
// CLI11 header stays out of the library). `--help-dump` prints the parser's
// own description of every option and subcommand as JSON; docs/man/generate
// turns it into the man pages and the bash completion, so neither can drift
// from --help.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

namespace bmcquiet::cli {

inline std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += {'\\', c};
    else if (c == '\n')
      out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += ' ';
    else
      out += c;
  }
  return out + "\"";
}

inline std::string option_json(const CLI::Option& o) {
  std::string names;
  for (const auto& n : o.get_snames()) names += (names.empty() ? "" : ",") + json_string("-" + n);
  for (const auto& n : o.get_lnames()) names += (names.empty() ? "" : ",") + json_string("--" + n);
  return "{\"names\":[" + names + "],\"positional\":" + (o.get_positional() ? "true" : "false") +
         ",\"name\":" + json_string(o.get_name(true)) +
         ",\"value\":" + json_string(o.get_type_size_max() > 0 ? o.get_type_name() : "") +
         ",\"required\":" + (o.get_required() ? "true" : "false") +
         ",\"many\":" + (o.get_expected_max() > 1 ? "true" : "false") +
         ",\"default\":" + json_string(o.get_default_str()) +
         ",\"description\":" + json_string(o.get_description()) + "}";
}

// Options in a group named "" are hidden from --help, so from the pages too.
inline std::string app_json(const CLI::App& app) {
  std::string options, subcommands;
  for (const auto* o : app.get_options())
    if (!o->get_group().empty()) options += (options.empty() ? "" : ",") + option_json(*o);
  for (const auto* s :
       app.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); }))
    subcommands += (subcommands.empty() ? "" : ",") + app_json(*s);
  return "{\"name\":" + json_string(app.get_name()) +
         ",\"description\":" + json_string(app.get_description()) +
         ",\"footer\":" + json_string(app.get_footer()) + ",\"options\":[" + options +
         "],\"subcommands\":[" + subcommands + "]}";
}

// True (after printing) when argv asks for the dump.
inline bool help_dump(const CLI::App& app, int argc, char** argv) {
  if (argc != 2 || std::string(argv[1]) != "--help-dump") return false;
  std::puts(app_json(app).c_str());
  return true;
}

// CLI11 prints help and --version on stdout (exit 0) and errors on stderr;
// every usage error exits with usage_status (2, or 3 for `check`).
inline int finish(const CLI::App& app, const CLI::ParseError& e, int usage_status) {
  const int code = app.exit(e);
  return code == 0 ? 0 : usage_status;
}

}  // namespace bmcquiet::cli
