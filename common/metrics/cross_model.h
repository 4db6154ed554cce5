// Cross-model retrieval for backward-compatible representation learning (bt2.md §1.1, §3;
// backfill.md §3.2): the metric M(φ_q, φ_g) of queries embedded by one model against a gallery
// embedded by another (old/old, new/old, new/new, ...), Top-1, Top-5 and mAP per pair. A thin
// layer over retrieval.h: it checks that the models describe the same query and gallery items and
// decides, by policy, whether differing embedding sizes are compared on their common prefix
// (BT²'s new/old on the first d_old dimensions) or refused.
//
//   CrossModelOptions options;
//   options.retrieval.leave_one_out = true;
//   options.pairs = {{"old", "old"}, {"new", "old"}, {"new", "new"}};
//   ASSIGN_OR_RETURN(CrossModelMatrix m,
//                    EvaluateCrossModel({{"old", old_q, old_g}, {"new", new_q, new_g}},
//                                       query_labels, gallery_labels, options));
//   double backward_compatible = m.At("new", "old")->top1();
#ifndef COMMON_METRICS_CROSS_MODEL_H_
#define COMMON_METRICS_CROSS_MODEL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics/retrieval.h"
#include "common/port/torch.h"

namespace repro {

// One model's embeddings of the shared query and gallery items (row i of every model's `queries`
// is the same query item, likewise for `gallery`).
struct ModelEmbeddings {
  std::string name;       // e.g. "old", "new", "bt2"
  torch::Tensor queries;  // [Q, D_model]
  torch::Tensor gallery;  // [G, D_model]
};

enum class DimensionPolicy {
  kTruncateToCommonPrefix,  // compare the first min(D_q, D_g) dimensions (BT²)
  kRequireEqual,            // differing dimensions are an error
};

struct CrossModelOptions {
  // ks (include 1 and 5 for Top-1/Top-5), distance, leave-one-out, backend. Its
  // truncate_to_common_prefix is set from `dimensions`.
  RetrievalOptions retrieval;
  DimensionPolicy dimensions = DimensionPolicy::kTruncateToCommonPrefix;
  // The (query model, gallery model) pairs to evaluate, by name; empty: every ordered pair.
  std::vector<std::pair<std::string, std::string>> pairs;
};

struct CrossModelCell {
  std::string query_model;
  std::string gallery_model;
  RetrievalResult result;  // result.dim: the dimensions compared

  double top1() const { return result.Cmc(1); }
  double top5() const { return result.Cmc(5); }
  double mean_ap() const { return result.mean_ap; }
};

struct CrossModelMatrix {
  std::vector<CrossModelCell> cells;  // in the order of options.pairs (or row-major over models)

  // The cell of (query model, gallery model), or nullptr when it was not evaluated.
  const CrossModelCell* At(const std::string& query_model, const std::string& gallery_model) const;
};

// M(query model, gallery model) for one pair.
absl::StatusOr<RetrievalResult> EvaluateCrossModelPair(const ModelEmbeddings& query_model,
                                                       const ModelEmbeddings& gallery_model,
                                                       const torch::Tensor& query_labels,
                                                       const torch::Tensor& gallery_labels,
                                                       const CrossModelOptions& options);

// The matrix over `models` (distinct, non-empty names). Fails with one clear message when the
// models disagree on the number of query or gallery items, the labels do not match them, a pair
// names an unknown model, or the dimension policy forbids a pair's dimensions.
absl::StatusOr<CrossModelMatrix> EvaluateCrossModel(const std::vector<ModelEmbeddings>& models,
                                                    const torch::Tensor& query_labels,
                                                    const torch::Tensor& gallery_labels,
                                                    const CrossModelOptions& options);

}  // namespace repro

#endif  // COMMON_METRICS_CROSS_MODEL_H_
