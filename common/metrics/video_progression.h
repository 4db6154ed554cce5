// Phase progression (CARL / TCC "event completion", spec §5): how well a linear map of a frame's
// embedding predicts how far the video is past each phase boundary.
//
// For a video of length L whose frames carry phases 0..K-1 in order, the target of boundary
// c = 0..K-2 at frame t is y_c(t) = (t - t_c) / L, with t_c the last frame of phase c. One
// least-squares linear regression (with intercept) per boundary is fitted on the train frames; the
// score is the mean over boundaries of R^2 = 1 - sum (y - y_hat)^2 / sum (y - mean y)^2 on the val
// frames (scikit-learn's LinearRegression.score with multi-output uniform averaging).
#ifndef COMMON_METRICS_VIDEO_PROGRESSION_H_
#define COMMON_METRICS_VIDEO_PROGRESSION_H_

#include <cstdint>
#include <vector>

#include "common/port/torch.h"

namespace repro {

// phases: [L] int64 (every phase 0..num_phases-2 must occur) -> targets [L, num_phases - 1] float64.
torch::Tensor ProgressionTargets(const torch::Tensor& phases, int64_t num_phases);

// Embeddings [L_i, D] and phases [L_i] per video. Returns the mean R^2 over the K - 1 boundaries.
double PhaseProgressionR2(const std::vector<torch::Tensor>& train_embeddings,
                          const std::vector<torch::Tensor>& train_phases,
                          const std::vector<torch::Tensor>& val_embeddings,
                          const std::vector<torch::Tensor>& val_phases, int64_t num_phases);

}  // namespace repro

#endif  // COMMON_METRICS_VIDEO_PROGRESSION_H_
