// Backfilling curves (backfill.md §3.2): the area under a metric-vs-progress curve, and the
// relative gain of that area between a lower and an upper reference.
#ifndef COMMON_METRICS_AUC_H_
#define COMMON_METRICS_AUC_H_

#include <vector>

#include "absl/status/statusor.h"

namespace repro {

// Trapezoidal area under the curve (progress[i], values[i]) divided by the progress span
// progress.back() - progress.front(), so a constant curve c gives c and a curve over t in [0, 1]
// gives its plain integral, in the metric's own units. Needs >= 2 points, progress strictly
// increasing within [0, 1], finite values.
absl::StatusOr<double> ProgressCurveAuc(const std::vector<double>& progress,
                                        const std::vector<double>& values);

// (auc - base) / (upper - base): the share of the upgrade gain a method delivers during
// backfilling, e.g. base = M(old/old), upper = M(new/new): 0 for offline backfilling, 1 for an
// instant jump to new/new. Fails when upper == base or a value is not finite.
absl::StatusOr<double> RelativeGain(double auc, double base, double upper);

}  // namespace repro

#endif  // COMMON_METRICS_AUC_H_
