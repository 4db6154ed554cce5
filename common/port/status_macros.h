// Status helpers for library boundaries that return absl::Status / absl::StatusOr<T>.
//
//   RETURN_IF_ERROR(WriteFile(path, text));
//   ASSIGN_OR_RETURN(Tensor images, ReadIdx(path));
#ifndef COMMON_PORT_STATUS_MACROS_H_
#define COMMON_PORT_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"    // IWYU pragma: export
#include "absl/status/statusor.h"  // IWYU pragma: export

#define REPRO_STATUS_CONCAT_INNER_(a, b) a##b
#define REPRO_STATUS_CONCAT_(a, b) REPRO_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status repro_status_ = (expr);           \
    if (!repro_status_.ok()) return repro_status_;   \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status on error, else moves the value into
// `lhs` (a declaration such as `auto x` or an existing variable).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL_(REPRO_STATUS_CONCAT_(repro_statusor_, __LINE__), lhs, rexpr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                           \
  if (!statusor.ok()) return statusor.status();      \
  lhs = std::move(statusor).value()

#endif  // COMMON_PORT_STATUS_MACROS_H_
