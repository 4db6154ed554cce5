#include "common/metrics/auc.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace repro {

absl::StatusOr<double> ProgressCurveAuc(const std::vector<double>& progress,
                                        const std::vector<double>& values) {
  if (progress.size() != values.size()) {
    return absl::InvalidArgumentError(absl::StrCat("progress curve: ", progress.size(),
                                                   " progress points for ", values.size(),
                                                   " values"));
  }
  if (progress.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("progress curve: needs at least 2 points, got ", progress.size()));
  }
  for (size_t i = 0; i < progress.size(); ++i) {
    if (!(progress[i] >= 0.0 && progress[i] <= 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat("progress curve: progress[", i, "] = ",
                                                     progress[i], " is outside [0, 1]"));
    }
    if (i > 0 && !(progress[i] > progress[i - 1])) {
      return absl::InvalidArgumentError(
          absl::StrCat("progress curve: progress must increase strictly, but progress[", i,
                       "] = ", progress[i], " follows ", progress[i - 1]));
    }
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("progress curve: value[", i, "] = ", values[i], " is not finite"));
    }
  }
  double area = 0;
  for (size_t i = 1; i < progress.size(); ++i) {
    area += 0.5 * (values[i] + values[i - 1]) * (progress[i] - progress[i - 1]);
  }
  return area / (progress.back() - progress.front());
}

absl::StatusOr<double> RelativeGain(double auc, double base, double upper) {
  if (!std::isfinite(auc) || !std::isfinite(base) || !std::isfinite(upper)) {
    return absl::InvalidArgumentError(absl::StrCat("relative gain: auc ", auc, ", base ", base,
                                                   ", upper ", upper, " must be finite"));
  }
  if (upper == base) {
    return absl::InvalidArgumentError(
        absl::StrCat("relative gain: upper reference equals the base (", base,
                     "), so there is no gain to share"));
  }
  return (auc - base) / (upper - base);
}

}  // namespace repro
