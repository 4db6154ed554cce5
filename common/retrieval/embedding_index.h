// An exact embedding index over FAISS (IndexFlatL2 / IndexFlatIP under an IndexIDMap2): items are
// added and removed by their own int64 ids, and a search returns the k nearest items of each query
// under one of the distances of distance.h. Used as the gallery of the online-backfilling protocol
// (backfill.md §8.4): one index per embedding space, items moved between them as backfilling
// proceeds, their ranked lists merged by merge.h.
//
//   EmbeddingIndex index(/*dim=*/128, Distance::kSquaredL2);
//   RETURN_IF_ERROR(index.Add(ids, embeddings));   // ids [N] int64, embeddings [N, 128]
//   RankedLists top = index.Search(queries, 100);  // [Q, 100] distances and ids
//   RETURN_IF_ERROR(index.Remove(moved_ids));
#ifndef COMMON_RETRIEVAL_EMBEDDING_INDEX_H_
#define COMMON_RETRIEVAL_EMBEDDING_INDEX_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "common/port/torch.h"
#include "common/retrieval/distance.h"
#include "common/retrieval/ranked_lists.h"

namespace repro {

class EmbeddingIndex {
 public:
  // An empty index of `dim`-dimensional embeddings (dim >= 1).
  EmbeddingIndex(int64_t dim, Distance distance);
  ~EmbeddingIndex();
  EmbeddingIndex(EmbeddingIndex&&) noexcept;
  EmbeddingIndex& operator=(EmbeddingIndex&&) noexcept;

  // Adds `embeddings` [N, dim] (any floating dtype) under `ids` [N] (integer). Fails, adding
  // nothing, on a shape mismatch, a negative id, or an id that is already in the index or repeated.
  absl::Status Add(const torch::Tensor& ids, const torch::Tensor& embeddings);

  // Removes the items `ids` [N]. Fails, removing nothing, when an id is not in the index or is
  // repeated. Cost: one pass over the index (FAISS compacts its storage).
  absl::Status Remove(const torch::Tensor& ids);

  // The k nearest items of each query in `queries` [Q, dim]: exact, ascending by distance, equal
  // distances ordered by id, padded with (+inf, -1) when the index holds fewer than k items.
  // Among items tied with the k-th distance, which ones make the cut is FAISS's choice.
  RankedLists Search(const torch::Tensor& queries, int64_t k) const;

  bool Contains(int64_t id) const;
  int64_t size() const;
  int64_t dim() const { return dim_; }
  Distance distance() const { return distance_; }

 private:
  struct Faiss;
  int64_t dim_;
  Distance distance_;
  std::unique_ptr<Faiss> faiss_;
};

}  // namespace repro

#endif  // COMMON_RETRIEVAL_EMBEDDING_INDEX_H_
