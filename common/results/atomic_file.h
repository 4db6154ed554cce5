// Atomic file output: the text goes to a temporary file in the same folder, which is then renamed
// over the target, so an interrupted run never leaves a half-written file.
#ifndef COMMON_RESULTS_ATOMIC_FILE_H_
#define COMMON_RESULTS_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace repro {

// Writes `contents` to `path` atomically, creating missing parent folders.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

// Reads a whole file; NotFound when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Creates `dir` and its parents; an error names the folder when it cannot be created or written.
absl::Status MakeWritableDir(const std::string& dir);

}  // namespace repro

#endif  // COMMON_RESULTS_ATOMIC_FILE_H_
