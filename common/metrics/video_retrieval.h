// Fine-grained frame retrieval (CARL evaluation's "AP@K", which is really precision@K, spec §5):
// each val video is a query; its every `stride`-th frame retrieves the K nearest frames (squared
// Euclidean) among the every-`stride`-th frames of all *other* videos (of the same action: pass one
// action's videos); the score of a query frame is the fraction of those K whose phase label equals
// its own. Averaged over the query frames of a video, then over videos.
#ifndef COMMON_METRICS_VIDEO_RETRIEVAL_H_
#define COMMON_METRICS_VIDEO_RETRIEVAL_H_

#include <cstdint>
#include <vector>

#include "common/port/torch.h"

namespace repro {

// embeddings [L_i, D] and phases [L_i] per video -> precision@k for each k of `ks` (same order).
// Ties in distance are broken by candidate order (video, then frame). Needs at least two videos
// and k no larger than the candidate count.
std::vector<double> FramePrecisionAtK(const std::vector<torch::Tensor>& embeddings,
                                      const std::vector<torch::Tensor>& phases, int64_t stride,
                                      const std::vector<int64_t>& ks);

}  // namespace repro

#endif  // COMMON_METRICS_VIDEO_RETRIEVAL_H_
