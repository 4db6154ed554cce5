// Negative flips of a retrieval system against a reference one (Yan et al., "Positive-Congruent
// Training", CVPR 2021; the backfilling form of RACT, backfill.md §3.2): the fraction of queries
// whose top-1 result is correct under the reference (old/old, before the model update) but wrong
// under the current system (e.g. at backfilling step t). A model update that "does no harm"
// has none.
//
//   torch::Tensor before = Top1Correct(old_old.ids, query_labels, gallery_labels);
//   torch::Tensor now = Top1Correct(merged.ids, query_labels, gallery_labels);
//   double nfr = NegativeFlipRate(before, now);  // in [0, 1]
#ifndef COMMON_METRICS_NEGATIVE_FLIP_H_
#define COMMON_METRICS_NEGATIVE_FLIP_H_

#include "common/port/torch.h"

namespace repro {

// Whether each query's first-ranked gallery item shares its label: ranked_ids [Q, k] (k >= 1,
// gallery row indices, -1 for an empty list, which counts as wrong), query_labels [Q],
// gallery_labels [G] (int64). Returns [Q] bool.
torch::Tensor Top1Correct(const torch::Tensor& ranked_ids, const torch::Tensor& query_labels,
                          const torch::Tensor& gallery_labels);

// Fraction of queries correct in `reference` and wrong in `current` (both [Q] bool, Q >= 1).
double NegativeFlipRate(const torch::Tensor& reference, const torch::Tensor& current);

// Fraction of queries wrong in `reference` and correct in `current` (the positive flips).
double PositiveFlipRate(const torch::Tensor& reference, const torch::Tensor& current);

}  // namespace repro

#endif  // COMMON_METRICS_NEGATIVE_FLIP_H_
