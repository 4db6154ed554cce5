// Distances between embeddings as the retrieval papers define them, and the exact brute-force
// pairwise distance matrix every other retrieval component is checked against.
//
//   kOneMinusInnerProduct  d(q, g) = 1 - <q, g>            BT² (bt2.md §1.1): no re-normalisation
//   kSquaredL2             d(q, g) = ||q - g||^2            backfill (backfill.md §3.2), FCT's "l2"
//   kCosine                d(q, g) = 1 - <q, g>/(|q| |g|)   both sides L2-normalised first
#ifndef COMMON_RETRIEVAL_DISTANCE_H_
#define COMMON_RETRIEVAL_DISTANCE_H_

#include <cstdint>
#include <string_view>

#include "common/port/torch.h"

namespace repro {

enum class Distance {
  kOneMinusInnerProduct,
  kSquaredL2,
  kCosine,
};

// "one_minus_inner_product", "squared_l2" or "cosine".
std::string_view DistanceName(Distance distance);

// The first `dim` columns of `embeddings` ([N, D], any floating dtype, D >= dim) as a contiguous
// float32 CPU tensor; for kCosine each row is also L2-normalised (after truncation, as the
// cosine of the truncated vectors is what is compared). Rows of norm 0 stay 0.
torch::Tensor PrepareEmbeddings(const torch::Tensor& embeddings, int64_t dim, Distance distance);

// All distances [Q, G] (float32) between `queries` [Q, D] and `gallery` [G, D], computed with one
// matrix product. Inputs are used as given (call PrepareEmbeddings first for truncation; kCosine
// normalises here as well). kSquaredL2 is |q|^2 + |g|^2 - 2<q, g> clamped at 0, as FAISS does.
torch::Tensor PairwiseDistances(const torch::Tensor& queries, const torch::Tensor& gallery,
                                Distance distance);

}  // namespace repro

#endif  // COMMON_RETRIEVAL_DISTANCE_H_
