#include "core/problem.hpp"

#include "core/log.hpp"

namespace bmcquiet {

std::string_view to_string(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::usage:
      return "usage";
    case ProblemKind::config:
      return "config";
    case ProblemKind::disabled:
      return "disabled";
    case ProblemKind::unavailable:
      return "unavailable";
    case ProblemKind::timeout:
      return "timeout";
    case ProblemKind::overrun:
      return "overrun";
    case ProblemKind::denied:
      return "denied";
    case ProblemKind::tls:
      return "tls";
    case ProblemKind::protocol:
      return "protocol";
    case ProblemKind::unsupported:
      return "unsupported";
    default:
      return "unknown";
  }
}

int exit_code(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::usage:
      return 2;
    case ProblemKind::unavailable:
      return 69;  // EX_UNAVAILABLE
    case ProblemKind::denied:
      return 77;  // EX_NOPERM
    case ProblemKind::config:
    case ProblemKind::disabled:
      return 78;  // EX_CONFIG
    default:
      return 1;
  }
}

std::string dedup_key(const Problem& problem) {
  if (problem.kind != ProblemKind::unknown) return std::string(to_string(problem.kind));
  return "?" + problem_key(problem.message);
}

}  // namespace bmcquiet
