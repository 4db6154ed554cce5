#include "bt2/evaluate.h"

#include <vector>

#include "common/metrics/cross_model.h"

namespace repro::bt2 {

absl::StatusOr<CaseResult> MeasureCase(const std::string& query_model,
                                       const torch::Tensor& query_embeddings,
                                       const std::string& gallery_model,
                                       const torch::Tensor& gallery_embeddings,
                                       const torch::Tensor& labels,
                                       const torch::Tensor& query_index) {
  TORCH_CHECK(query_index.dim() == 1 && query_index.scalar_type() == torch::kInt64,
              "MeasureCase: query_index must be [Q] int64");
  const torch::Tensor index = query_index.contiguous();
  CrossModelOptions options;
  options.retrieval.ks = {1};
  options.retrieval.distance = Distance::kOneMinusInnerProduct;
  options.retrieval.query_gallery_index.assign(index.data_ptr<int64_t>(),
                                               index.data_ptr<int64_t>() + index.numel());
  options.dimensions = DimensionPolicy::kTruncateToCommonPrefix;
  // Only the query rows of the query model and the gallery rows of the gallery model are used.
  const ModelEmbeddings query{query_model, query_embeddings.index_select(0, index),
                              query_embeddings};
  const ModelEmbeddings gallery{gallery_model, gallery_embeddings.index_select(0, index),
                                gallery_embeddings};
  const absl::StatusOr<RetrievalResult> result = EvaluateCrossModelPair(
      query, gallery, labels.index_select(0, index), labels, options);
  if (!result.ok()) return result.status();
  return CaseResult{100.0 * result->Cmc(1), 100.0 * result->mean_ap, result->dim};
}

}  // namespace repro::bt2
