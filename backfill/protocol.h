// The online backfilling protocol (backfill.md §1, §3.2) for one method: the gallery starts with
// every item under its old embedding, moves to new embeddings in steps along a backfill order, and
// is evaluated before the first step and after each one. At each point t:
//   - the serving path: each query is searched in the two-index gallery (gallery.h) with the
//     method's two query embeddings and the ranked lists are merged exactly; its top-k gives CMC
//     top-k and the top-1 correctness behind the negative-flip rate;
//   - mAP over the full ranking (backfill.md §3.2) from the same merged distance D_t, computed
//     densely (the full ranking of every item is what the index returns at k = gallery size, at a
//     fraction of the cost) by common/metrics/retrieval.h.
// A query's own image is left out of its ranking; with an ignore mask (Market-1501's same-camera
// and junk rule) the masked gallery items do not count either.
#ifndef BACKFILL_PROTOCOL_H_
#define BACKFILL_PROTOCOL_H_

#include <cstdint>
#include <map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backfill/gallery.h"
#include "common/port/torch.h"
#include "common/retrieval/distance.h"

namespace repro::backfill {

// The gallery under one model: ids [N] (distinct) and their embeddings [N, d].
struct GalleryEmbeddings {
  torch::Tensor ids;
  torch::Tensor embeddings;
};

// OK when the old and new gallery embeddings hold the same items (same count, same ids, each once)
// and each is a well-formed [N, d] table; otherwise one line saying what differs.
absl::Status CheckSameItems(const GalleryEmbeddings& old_gallery,
                            const GalleryEmbeddings& new_gallery);

// How a method encodes the queries: the embedding searched against the not-yet-backfilled part
// (old space) and the one searched against the backfilled part (new space), and how many backbone
// forward passes per query that took (counted, not declared: see encoders.h).
struct QueryEmbeddings {
  torch::Tensor for_old_part;  // [Q, d_old]
  torch::Tensor for_new_part;  // [Q, d_new]
  double backbone_passes_per_query = 0;
};

// Labels and exclusions of the evaluation.
struct EvaluationSetup {
  torch::Tensor query_labels;    // [Q] int64
  torch::Tensor gallery_ids;     // [G] int64: the gallery items, in the column order used below
  torch::Tensor gallery_labels;  // [G] int64, aligned with gallery_ids
  // [Q] int64: the gallery id of the query's own image, left out of its ranking (-1: none).
  torch::Tensor query_self_ids;
  // Optional [Q, G] bool (columns in gallery_ids order): items that do not count for the query.
  torch::Tensor ignore;
  Distance distance = Distance::kSquaredL2;
  std::vector<int64_t> cmc_ks = {1, 5};
};

// Checks shapes and ids of a setup (one line on error).
absl::Status CheckEvaluationSetup(const EvaluationSetup& setup);

struct StepResult {
  double progress = 0;                 // t, the share of the gallery backfilled
  double map = 0;                      // full-ranking mAP under D_t, in [0, 1]
  std::map<int64_t, double> cmc;       // k -> CMC top-k of the served (merged) ranking, in [0, 1]
  torch::Tensor top1_correct;          // [Q] bool, from the served ranking
  double negative_flip_rate = 0;       // vs. the reference top-1 (0 when none was given)
};

// Evaluates one state of `gallery` for the queries: `dense_distances` [Q, G] is D_t with columns
// in setup.gallery_ids order (it must be the merged distance of that state). `reference_top1` [Q]
// bool may be undefined (no negative flips then).
StepResult EvaluateState(const BackfillGallery& gallery, const torch::Tensor& dense_distances,
                         const QueryEmbeddings& queries, const EvaluationSetup& setup,
                         const torch::Tensor& reference_top1);

// Runs the protocol: the gallery is built from `old_gallery`, evaluated at t = 0, then backfilled
// along `order` (a permutation of the gallery ids) in `num_steps` equal steps with the embeddings of
// `new_gallery`, evaluated after each. Returns num_steps + 1 results. Errors: mismatched old/new
// items, an order that is not a permutation, query embeddings of the wrong width.
absl::StatusOr<std::vector<StepResult>> RunOnlineBackfill(const GalleryEmbeddings& old_gallery,
                                                          const GalleryEmbeddings& new_gallery,
                                                          const QueryEmbeddings& queries,
                                                          const torch::Tensor& order,
                                                          int num_steps,
                                                          const EvaluationSetup& setup,
                                                          const torch::Tensor& reference_top1);

// One fixed system (e.g. old/old or new/new): every gallery item under `gallery`'s embeddings,
// searched with `queries` [Q, d].
absl::StatusOr<StepResult> EvaluateSingleSpace(const GalleryEmbeddings& gallery,
                                               const torch::Tensor& queries,
                                               const EvaluationSetup& setup,
                                               const torch::Tensor& reference_top1);

}  // namespace repro::backfill

#endif  // BACKFILL_PROTOCOL_H_
