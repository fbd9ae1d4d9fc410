// The project's one error type: a kind a program can act on (log
// de-duplication, D-Bus error names, bmcquietctl's exit code) with the
// sentence a person reads (what, where, what to do; never a secret).
#pragma once

#include <string>
#include <string_view>

namespace bmcquiet {

enum class ProblemKind {
  unknown,      // not classified: told apart by problem_key() of its text
  usage,        // a command line that cannot be run
  config,       // the configuration is refused
  disabled,     // switched off in the configuration
  unavailable,  // the peer (daemon, BMC, device) is absent or does not connect
  timeout,      // the peer took longer than allowed
  overrun,      // a collector still busy at its next tick: its own cause comes next
  denied,       // credentials refused, or not permitted (root, BMC privilege)
  tls,          // certificate or TLS handshake
  protocol,     // the peer answered with an error status or an unusable body
  unsupported,  // the peer lacks the feature
};

struct Problem {
  ProblemKind kind = ProblemKind::unknown;
  std::string message;
};

std::string_view to_string(ProblemKind kind);
// bmcquietctl's exit code (sysexits.h): 2 usage, 69 unavailable, 77 denied,
// 78 config or disabled, 1 for the rest.
int exit_code(ProblemKind kind);
// Logged once per key, until the key changes: the kind where it is known, so
// a retry count or a URL in the text does not make a new problem.
std::string dedup_key(const Problem& problem);

}  // namespace bmcquiet
