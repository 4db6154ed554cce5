// Precomputed frozen-backbone features (spec §10.2): every video's frames go through the backbone
// once; each train video also once per clip-augmented copy (per-view augmentation: each SCL view
// takes one copy at random). Tokens are stored in half precision to halve the memory.
//
//   FeatureBank bank = ExtractFeatureBank(backbone, data, options);
//   FrameBatch batch = GatherFrames({&bank.train[v][copy], ...}, {frames...}, selection);
#ifndef MVFORMER_FEATURES_H_
#define MVFORMER_FEATURES_H_

#include <cstdint>
#include <vector>

#include "common/data/video/clip_augment.h"
#include "common/data/video/video.h"
#include "common/port/torch.h"
#include "mvformer/backbone.h"
#include "mvformer/model.h"

namespace repro::mvformer {

struct VideoFeatures {
  torch::Tensor tokens;  // [L, N, C] half: all feature layers
  torch::Tensor cls;     // [L, C_cls] float

  int64_t length() const { return tokens.defined() ? tokens.size(0) : cls.size(0); }
};

struct FeatureBank {
  int64_t grid_height = 0;
  int64_t grid_width = 0;
  std::vector<int64_t> layer_channels;
  int64_t cls_channels = 0;
  // train[v][0]: the clean frames (for evaluation); train[v][1..]: augmented copies (for training).
  std::vector<std::vector<VideoFeatures>> train;
  std::vector<VideoFeatures> val;
};

struct FeatureOptions {
  int64_t augmented_copies = 3;
  ClipAugmentOptions augment;
  uint64_t seed = 0;          // copy c of train video v uses augmentation seed mix(seed, v, c)
  int64_t chunk_frames = 256; // frames per backbone pass
};

// Features of frames uint8 [L, C, H, W] (scaled to [0, 1]), `chunk` frames per pass.
VideoFeatures ExtractVideoFeatures(FrameBackbone& backbone, const torch::Tensor& frames, int64_t chunk);

// Clean features of every train and val video (each train video gets its copy 0).
FeatureBank ExtractFeatureBank(FrameBackbone& backbone, const VideoDataset& data,
                               const FeatureOptions& options);

// Appends the augmented copies 1..augmented_copies to every train video (idempotent).
void AddAugmentedCopies(FrameBackbone& backbone, const VideoDataset& data, const FeatureOptions& options,
                        FeatureBank* bank);

// Which stored token channels a model reads: [begin, end) (all layers, or the last one only).
struct ChannelRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};
ChannelRange AllLayers(const FeatureBank& bank);
ChannelRange LastLayer(const FeatureBank& bank);

// A batch of clips: clip i reads frames[i] ([T] int64) of videos[i]. Tokens (float, the channel
// range) and/or CLS as the front end needs; positions and padding are left to the caller.
FrameBatch GatherFrames(const std::vector<const VideoFeatures*>& videos,
                        const std::vector<torch::Tensor>& frames, const ChannelRange& channels,
                        FrontEnd front_end);

}  // namespace repro::mvformer

#endif  // MVFORMER_FEATURES_H_
