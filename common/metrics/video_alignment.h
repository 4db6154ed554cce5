// Kendall's tau for video alignment (TCC / CARL evaluation, spec §5): how well nearest-neighbour
// matching of frame embeddings between two videos of an action preserves temporal order.
//
// For every ordered pair (u, v), u != v: take every `stride`-th frame of both, match each frame t of
// u to nn(t) = argmin_t' ||e_u(t) - e_v(t')||^2 (first index on ties), and score tau_b(0..n-1, nn)
// (scipy.stats.kendalltau, with tie correction). The result is the mean over pairs whose tau is
// defined (a pair where every frame matches the same frame has no tau and is skipped).
#ifndef COMMON_METRICS_VIDEO_ALIGNMENT_H_
#define COMMON_METRICS_VIDEO_ALIGNMENT_H_

#include <cstdint>
#include <vector>

#include "common/port/torch.h"

namespace repro {

// Kendall's tau-b of paired samples (x[i], y[i]):
//   (concordant - discordant) / sqrt((n0 - n1) (n0 - n2)),
// n0 = n(n-1)/2, n1 / n2 the pairs tied in x / in y; pairs tied in x or y count as neither
// concordant nor discordant. NaN when n < 2 or x or y is constant (as scipy).
double KendallTauB(const std::vector<double>& x, const std::vector<double>& y);

// Mean tau over ordered pairs of `embeddings` (each [L_i, D], one per video); NaN when no pair has
// a defined tau.
double AlignmentKendallTau(const std::vector<torch::Tensor>& embeddings, int64_t stride);

}  // namespace repro

#endif  // COMMON_METRICS_VIDEO_ALIGNMENT_H_
