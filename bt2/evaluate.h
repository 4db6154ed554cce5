// One cell of a BT² table: queries embedded by one model against a gallery embedded by another
// (spec §1.1, §3), through common/metrics/cross_model.h. The query set is a fixed subset of the
// test images and the gallery is the whole test set, each query left out of its own ranking;
// d(q, g) = 1 − <q[:m], g[:m]> with m = min(dims), so new/old compares the new model's first d_old
// dimensions (BT²'s compatible part b) with the old embedding, without re-normalisation.
#ifndef BT2_EVALUATE_H_
#define BT2_EVALUATE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/port/torch.h"

namespace repro::bt2 {

struct CaseResult {
  double top1 = 0;  // CMC top-1 (first match), in %
  double map = 0;   // mean average precision over the whole ranking, in %
  int64_t dim = 0;  // dimensions compared
};

// query_embeddings [N, Dq] and gallery_embeddings [N, Dg]: both models' embeddings of the same N
// test images with `labels` [N]; query_index [Q] int64: the test images used as queries.
absl::StatusOr<CaseResult> MeasureCase(const std::string& query_model,
                                       const torch::Tensor& query_embeddings,
                                       const std::string& gallery_model,
                                       const torch::Tensor& gallery_embeddings,
                                       const torch::Tensor& labels,
                                       const torch::Tensor& query_index);

}  // namespace repro::bt2

#endif  // BT2_EVALUATE_H_
