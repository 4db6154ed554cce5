// Retrieval metrics over the full ranking of a gallery: mean average precision and CMC top-k, as
// the backward-compatibility papers compute them (bt2.md §1.1, backfill.md §3.2):
//
//   - each query ranks the whole gallery by distance (distance.h), ascending;
//   - AP(q) is scikit-learn's average_precision_score(relevant, -distance) over that entire
//     ranking: AP = Σ_t (R_t - R_{t-1}) P_t over the distinct distances t, so items at equal
//     distance count as one threshold (their order does not matter);
//   - CMC top-k: the share of queries whose first relevant item has rank <= k (first-match); equal
//     distances are ranked by gallery index;
//   - relevant = same label; a query with no relevant gallery item is skipped by both (and counted
//     in num_queries but not num_valid_queries);
//   - leave-one-out: when the queries are gallery items, each query's own item is left out of its
//     ranking (not just ranked last).
//
// The exact path computes distances a chunk of queries at a time with one matrix product and sorts
// each row in full (a stable radix sort, parallel over rows); the FAISS path ranks with FAISS's
// exact flat index (k = gallery size) and must agree with it.
#ifndef COMMON_METRICS_RETRIEVAL_H_
#define COMMON_METRICS_RETRIEVAL_H_

#include <cstdint>
#include <map>
#include <vector>

#include "common/port/torch.h"
#include "common/retrieval/distance.h"

namespace repro {

enum class RetrievalBackend {
  kExact,  // torch matrix products + full per-row sort (the reference)
  // faiss::IndexFlatL2 / IndexFlatIP search with k = gallery size: a cross-check of the exact
  // path, about 10x slower at 10^4 x 10^4 (FAISS selects the whole gallery through a heap).
  kFaiss,
};

struct RetrievalOptions {
  // CMC ranks to report (each >= 1).
  std::vector<int64_t> ks = {1, 5};
  Distance distance = Distance::kOneMinusInnerProduct;
  // Query i is gallery item i (the query set is the gallery set) and is left out of its ranking.
  bool leave_one_out = false;
  // The general form: query q leaves out gallery item query_gallery_index[q] (-1: none), e.g. a
  // fixed 2,000 queries drawn from a 10,000-item gallery. Empty: none. Not with leave_one_out.
  std::vector<int64_t> query_gallery_index;
  // When queries and gallery differ in dimension, compare their first min(dims) dimensions
  // (BT²'s new/old case). If false, differing dimensions are an error.
  bool truncate_to_common_prefix = false;
  // Also return per-query AP and first-match rank.
  bool per_query = false;
  RetrievalBackend backend = RetrievalBackend::kExact;
  // Queries per distance block; 0 picks about 4M distances per block.
  int64_t query_chunk = 0;
};

struct RetrievalResult {
  double mean_ap = 0;              // mean AP over valid queries, in [0, 1]; NaN if none is valid
  std::map<int64_t, double> cmc;   // k -> share of valid queries with a relevant item in the top k
  int64_t num_queries = 0;
  int64_t num_valid_queries = 0;   // queries with at least one relevant gallery item
  int64_t dim = 0;                 // dimensions compared (after truncation)
  // With options.per_query: AP per query (NaN when not valid) and the 1-based rank of the first
  // relevant item (0 when not valid).
  std::vector<double> per_query_ap;
  std::vector<int64_t> first_match_rank;

  // cmc.at(k), with a clear error when k was not asked for.
  double Cmc(int64_t k) const;
};

// mAP and CMC of `queries` [Q, Dq] with labels `query_labels` [Q] against `gallery` [G, Dg] with
// `gallery_labels` [G] (integer labels). Throws c10::Error on inconsistent shapes or options.
RetrievalResult EvaluateRetrieval(const torch::Tensor& queries, const torch::Tensor& query_labels,
                                  const torch::Tensor& gallery,
                                  const torch::Tensor& gallery_labels,
                                  const RetrievalOptions& options);

// The same metrics from a precomputed distance matrix `distances` [Q, G] (e.g. the merged
// distance of a backfilling step); options.distance, truncation and backend are not used.
// Distances may be +inf but not NaN.
RetrievalResult EvaluateDistanceMatrix(const torch::Tensor& distances,
                                       const torch::Tensor& query_labels,
                                       const torch::Tensor& gallery_labels,
                                       const RetrievalOptions& options);

}  // namespace repro

#endif  // COMMON_METRICS_RETRIEVAL_H_
