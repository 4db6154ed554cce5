// The fine-grained video evaluation of CARL / MV-Former (spec §5) in one call: phase classification,
// phase progression, Kendall's tau and precision@K, each computed per action (on that action's train
// and val videos) and then averaged uniformly over actions, as for Penn Action's 13 actions.
// Frames with a phase label < 0 are dropped first.
//
//   VideoMetrics m = EvaluateVideoEmbeddings(train, val, {4, 3, 3}, VideoMetricsOptions());
//   m.classification, m.progression, m.kendall_tau, m.precision_at_k[0] (k = 5)
#ifndef COMMON_METRICS_VIDEO_METRICS_H_
#define COMMON_METRICS_VIDEO_METRICS_H_

#include <cstdint>
#include <vector>

#include "common/metrics/video_classification.h"
#include "common/port/torch.h"

namespace repro {

// One video's per-frame embeddings (normally L2-normalised) and phase labels.
struct VideoEmbedding {
  torch::Tensor embedding;  // [L, D]
  torch::Tensor phases;     // [L] int64, -1: unlabelled (dropped)
  int action = 0;
};

struct VideoMetricsOptions {
  // Phase classification trains on the first floor(fraction * N) train videos of each action
  // (data set order, as CARL).
  double train_fraction = 1.0;
  int64_t tau_stride = 2;        // frame stride for Kendall's tau (Penn 2, Pouring 5)
  int64_t retrieval_stride = 2;  // frame stride for precision@K
  std::vector<int64_t> ks = {5, 10, 15};
  LogisticRegressionOptions classifier;
};

struct VideoMetrics {
  double classification = 0;  // frame accuracy in [0, 1]
  double progression = 0;     // R^2
  double kendall_tau = 0;
  std::vector<double> precision_at_k;  // aligned with options.ks, in [0, 1]
  std::vector<VideoMetrics> per_action;  // empty inside per_action entries
};

// num_phases[a] is the phase count of action a; every action needs train and val videos.
VideoMetrics EvaluateVideoEmbeddings(const std::vector<VideoEmbedding>& train,
                                     const std::vector<VideoEmbedding>& val,
                                     const std::vector<int>& num_phases,
                                     const VideoMetricsOptions& options = {});

}  // namespace repro

#endif  // COMMON_METRICS_VIDEO_METRICS_H_
