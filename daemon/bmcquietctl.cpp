// bmcquietctl: one-shot tools and control of a running bmcquietd.
#include <cstdio>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "ctl/command.hpp"

namespace {

void usage(std::FILE* out) {
  std::fprintf(
      out, "usage: bmcquietctl COMMAND [options]   (bmcquietctl COMMAND --help)\n\ncommands:\n");
  for (const auto& c : bmcquiet::ctl::commands())
    std::fprintf(out, "  %-10.*s %.*s\n", int(c.name.size()), c.name.data(), int(c.summary.size()),
                 c.summary.data());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  bmcquiet::setup_logging("warn");
  const std::string name = argv[1];
  for (const auto& c : bmcquiet::ctl::commands()) {
    if (c.name == name) return c.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "bmcquietctl: unknown command '%s'\n", name.c_str());
  usage(stderr);
  return 2;
}
