// Parsing and checking of the backfilling table configs (config.proto): every error names the
// file and the field, and comes before any training.
#ifndef BACKFILL_CONFIG_CHECK_H_
#define BACKFILL_CONFIG_CHECK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backfill/config.pb.h"

namespace repro::backfill {

enum class TableKind { kMain, kLossAblation, kCurves };

// Parses `text` (the contents of `path`) and checks it for a table of `kind`.
absl::StatusOr<Config> ParseConfig(const std::string& text, const std::string& path,
                                   TableKind kind);

// Checks a parsed config.
absl::Status ValidateConfig(const Config& config, const std::string& path, TableKind kind);

}  // namespace repro::backfill

#endif  // BACKFILL_CONFIG_CHECK_H_
