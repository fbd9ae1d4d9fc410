// What kind of problem an IPMI request's failure is, for the collectors'
// outcomes (log de-duplication, bmcquietctl's exit codes).
#pragma once

#include "core/problem.hpp"
#include "ipmi/types.hpp"

namespace bmcquiet::ipmi {

inline ProblemKind problem_kind(const Error& error) {
  switch (error.status) {
    case Status::timeout:
      return ProblemKind::timeout;
    case Status::transport:
    case Status::closed:
      return ProblemKind::unavailable;
    case Status::completion_code:
      return error.cc == kCcInvalidCommand ? ProblemKind::unsupported : ProblemKind::protocol;
    default:
      return ProblemKind::protocol;
  }
}

}  // namespace bmcquiet::ipmi
