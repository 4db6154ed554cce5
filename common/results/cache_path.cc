#include "common/results/cache_path.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/results/sha256.h"

namespace repro {

std::string CachedModelPath(absl::string_view cache_dir, absl::string_view paper,
                            absl::string_view name, absl::string_view key_text) {
  return absl::StrCat(cache_dir, "/", paper, "/", name, "-", Sha256Hex(key_text).substr(0, 20), ".pt");
}

std::string DefaultCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/repro-models");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return absl::StrCat(home, "/.cache/repro-models");
  }
  return "/tmp/repro-models";
}

}  // namespace repro
