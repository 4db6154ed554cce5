#include "common/train/nan_guard.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace repro {

absl::Status CheckLossFinite(double loss, int64_t step, const std::string& checkpoint_path,
                             int64_t checkpoint_step) {
  if (std::isfinite(loss)) return absl::OkStatus();
  const std::string what = std::isnan(loss) ? "NaN" : (loss > 0 ? "+Inf" : "-Inf");
  const std::string where =
      checkpoint_path.empty() || checkpoint_step < 0
          ? std::string("; no checkpoint was written; lower the learning rate or check the data")
          : absl::StrCat("; last good checkpoint kept at ", checkpoint_path, " (step ",
                         checkpoint_step, ")");
  return absl::AbortedError(absl::StrCat("loss is ", what, " at step ", step, where));
}

}  // namespace repro
