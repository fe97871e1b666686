// Error-propagation helpers over absl::Status / absl::StatusOr.
//
// Every module boundary in Joinery returns Status or StatusOr<T>; no exception crosses one. These
// macros keep the happy path readable. Thread-safe: they are pure expressions.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "joinery/common/strings.h"

#define JOINERY_CONCAT_INNER(a, b) a##b
#define JOINERY_CONCAT(a, b) JOINERY_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status joinery_status_ = (expr);           \
    if (!joinery_status_.ok()) return joinery_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, FuncReturningStatusOr())` declares/assigns x or returns the error.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  JOINERY_ASSIGN_OR_RETURN_IMPL(JOINERY_CONCAT(joinery_statusor_, __LINE__), lhs, rexpr)
#define JOINERY_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

namespace joinery {

// Returns `status` with `context` prepended to its message ("context: message"), same code.
inline absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), StrCat(context, ": ", status.message()));
}

}  // namespace joinery
