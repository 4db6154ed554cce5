// Judging the claims of a BT² table (config.proto ClaimSpec) on the seed means of its rows: a claim
// holds when every one of its conditions holds, and its evidence lists the numbers behind each.
#ifndef BT2_CLAIMS_H_
#define BT2_CLAIMS_H_

#include <functional>
#include <string>

#include "bt2/config.pb.h"
#include "common/results/report.pb.h"

namespace repro::bt2 {

struct MetricStats {
  double mean = 0;
  double std = 0;
};

// (row label, metric) -> mean and std over seeds.
using MetricLookup = std::function<MetricStats(const std::string& row, const std::string& metric)>;

// True when `condition` holds for lhs and rhs values `a` and `b`:
// GREATER a > b + tol, LESS a < b − tol, WITHIN |a − b| <= tol.
bool ConditionHolds(const Condition& condition, double a, double b);

// The verdict and evidence, e.g. "BT² new/new Top-1 88.10 ± 0.21 vs Independent new/new Top-1
// 88.60 ± 0.15: |Δ| 0.50 <= 1.00 ✓". A NaN mean makes the condition fail.
Claim JudgeClaim(const ClaimSpec& spec, const MetricLookup& lookup);

}  // namespace repro::bt2

#endif  // BT2_CLAIMS_H_
