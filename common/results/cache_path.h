// Where trained models are cached: keyed by the SHA-256 of the text that determines them (the
// training part of a config plus the seed), so a model shared by several tables is trained once and
// a rerun with a warm cache only re-evaluates.
#ifndef COMMON_RESULTS_CACHE_PATH_H_
#define COMMON_RESULTS_CACHE_PATH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace repro {

// <cache_dir>/<paper>/<name>-<first 20 hex digits of sha256(key_text)>.pt
std::string CachedModelPath(absl::string_view cache_dir, absl::string_view paper,
                            absl::string_view name, absl::string_view key_text);

// $XDG_CACHE_HOME/repro-models, else $HOME/.cache/repro-models, else /tmp/repro-models.
std::string DefaultCacheDir();

}  // namespace repro

#endif  // COMMON_RESULTS_CACHE_PATH_H_
