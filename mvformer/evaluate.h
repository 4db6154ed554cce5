// Evaluation of a trained MV-Former or baseline (spec §5): every video is embedded once, in one
// pass over all its frames with temporal positions linspace(0, T - 1, L) (the whole video mapped
// onto the training position range), L2-normalised; then the metrics of
// common/metrics/video_metrics.h (per action, then averaged). Also LSTP's attention on entities.
#ifndef MVFORMER_EVALUATE_H_
#define MVFORMER_EVALUATE_H_

#include <array>
#include <cstdint>
#include <vector>

#include "common/data/video/video.h"
#include "common/metrics/video_metrics.h"
#include "common/port/torch.h"
#include "mvformer/features.h"
#include "mvformer/model.h"

namespace repro::mvformer {

// L2-normalised per-frame embeddings [L_i, D] of each video, `batch_videos` videos per pass
// (shorter ones padded and masked). Eval mode, no gradients.
std::vector<torch::Tensor> EmbedVideos(MvFormer& model, const std::vector<const VideoFeatures*>& videos,
                                       const ChannelRange& channels, int64_t num_frames,
                                       int64_t batch_videos);

// Embeds the clean train videos and the val videos once each and computes the metrics.
VideoMetrics EvaluateModel(MvFormer& model, const FeatureBank& bank, const VideoDataset& data,
                           const ChannelRange& channels, int64_t num_frames, int64_t batch_videos,
                           const VideoMetricsOptions& options);

// Where each LSTP query looks, over all frames of the val videos (which carry entity maps).
// Index 0..3 = EntityId (background, actor, object, distractor).
struct AttentionShares {
  std::vector<std::array<double, 4>> mass;  // [E]: mean attention mass on the pixels of each kind
  std::array<double, 4> uniform{};          // the mass a uniform map would put there (area share)
  int64_t frames = 0;
};

// Entity share of each patch: entities [L, H, W] uint8 -> [L, 4, grid_h * grid_w] (area fractions).
torch::Tensor PatchEntityShares(const torch::Tensor& entities, int64_t grid_height, int64_t grid_width);

AttentionShares MeasureAttention(MvFormer& model, const FeatureBank& bank, const VideoDataset& data,
                                 const ChannelRange& channels);

// LSTP attention maps [L, E, grid_h, grid_w] of one val video's frames.
torch::Tensor AttentionMaps(MvFormer& model, const VideoFeatures& video, const ChannelRange& channels,
                            int64_t grid_height, int64_t grid_width);

}  // namespace repro::mvformer

#endif  // MVFORMER_EVALUATE_H_
