// The gallery of an online backfilling system (backfill.md §1, §8.4), held the way a serving system
// holds it: two exact FAISS indexes (common/retrieval/embedding_index.h), one with the items still
// under the old model's embeddings (Gᵒ_t) and one with the items already re-extracted by the new
// model (Gⁿ_t). Backfilling an item removes it from the old index and adds its new embedding to the
// new index. A query is searched in each part with the embedding of that part's space and the two
// ranked lists are merged exactly (common/retrieval/merge.h), so the result is the top-k of the
// whole gallery under the merged distance
//   D_t(q, g) = d(q_old, φᵒ(g)) for g ∈ Gᵒ_t,   d(q_new, φⁿ(g)) for g ∈ Gⁿ_t.
// What q_old and q_new are is the method's business (rank merge: φᵒ(q) and φⁿ(q); reverse
// transformation: ψ(φⁿ(q)) and φⁿ(q); BCT: the compatible embedding for both).
//
//   ASSIGN_OR_RETURN(BackfillGallery gallery,
//                    BackfillGallery::Create(ids, old_embeddings, /*new_dim=*/128,
//                                            Distance::kSquaredL2));
//   RETURN_IF_ERROR(gallery.Backfill(step_ids, step_new_embeddings));
//   RankedLists top = gallery.Search(q_old, q_new, /*k=*/10);
#ifndef BACKFILL_GALLERY_H_
#define BACKFILL_GALLERY_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/port/torch.h"
#include "common/retrieval/distance.h"
#include "common/retrieval/embedding_index.h"
#include "common/retrieval/ranked_lists.h"

namespace repro::backfill {

class BackfillGallery {
 public:
  // A gallery with every item under its old embedding: ids [N] (distinct, >= 0), old_embeddings
  // [N, d_old]; backfilled items will have new_dim-dimensional embeddings. Both parts compare with
  // `distance`. Errors: shape or id problems (one line naming them).
  static absl::StatusOr<BackfillGallery> Create(const torch::Tensor& ids,
                                                const torch::Tensor& old_embeddings,
                                                int64_t new_dim, Distance distance);

  // Moves the items `ids` [M] to the new part with `new_embeddings` [M, new_dim]. Errors (nothing
  // moves): an id that is not in the gallery, one that is already backfilled, a repeated id, a shape
  // mismatch.
  absl::Status Backfill(const torch::Tensor& ids, const torch::Tensor& new_embeddings);

  // The k nearest gallery items of each query under D_t: the old part searched with
  // queries_for_old [Q, d_old], the new part with queries_for_new [Q, new_dim]; an empty part is
  // not searched (its queries may then be undefined). Ascending (distance, id), padded with
  // (+inf, -1) when the gallery has fewer than k items.
  RankedLists Search(const torch::Tensor& queries_for_old, const torch::Tensor& queries_for_new,
                     int64_t k) const;

  // The two ranked lists before merging (for cost accounting): [old part, new part].
  std::vector<RankedLists> SearchParts(const torch::Tensor& queries_for_old,
                                       const torch::Tensor& queries_for_new, int64_t k) const;

  int64_t size() const { return old_index_.size() + new_index_.size(); }
  int64_t num_backfilled() const { return new_index_.size(); }
  // Share of the gallery already backfilled, t in [0, 1].
  double progress() const;
  bool IsBackfilled(int64_t id) const { return new_index_.Contains(id); }
  bool Contains(int64_t id) const { return old_index_.Contains(id) || new_index_.Contains(id); }

 private:
  BackfillGallery(EmbeddingIndex old_index, EmbeddingIndex new_index)
      : old_index_(std::move(old_index)), new_index_(std::move(new_index)) {}

  EmbeddingIndex old_index_;
  EmbeddingIndex new_index_;
};

}  // namespace repro::backfill

#endif  // BACKFILL_GALLERY_H_
