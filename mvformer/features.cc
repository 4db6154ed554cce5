#include "mvformer/features.h"

#include <numeric>

#include "common/train/seed.h"

namespace repro::mvformer {
namespace {

constexpr uint64_t kAugmentStream = 0x4155474d454e5401ULL;  // "AUGMENT"

}  // namespace

VideoFeatures ExtractVideoFeatures(FrameBackbone& backbone, const torch::Tensor& frames, int64_t chunk) {
  TORCH_CHECK(frames.dim() == 4, "ExtractVideoFeatures: expected frames [L, C, H, W], got ", frames.sizes());
  TORCH_CHECK(chunk > 0, "ExtractVideoFeatures: chunk must be positive");
  std::vector<torch::Tensor> tokens, cls;
  for (int64_t begin = 0; begin < frames.size(0); begin += chunk) {
    const torch::Tensor part = frames.slice(0, begin, begin + chunk);
    const FrameFeatures f =
        backbone.Extract(part.is_floating_point() ? part : part.to(torch::kFloat32).div_(255.0));
    tokens.push_back(f.tokens.to(torch::kHalf));
    cls.push_back(f.cls);
  }
  return {torch::cat(tokens), torch::cat(cls)};
}

FeatureBank ExtractFeatureBank(FrameBackbone& backbone, const VideoDataset& data,
                               const FeatureOptions& options) {
  FeatureBank bank;
  bank.grid_height = backbone.grid_height();
  bank.grid_width = backbone.grid_width();
  bank.layer_channels = backbone.layer_channels();
  bank.cls_channels = backbone.cls_channels();
  const int64_t train = static_cast<int64_t>(data.train.size()), val = static_cast<int64_t>(data.val.size());
  bank.train.resize(train);
  bank.val.resize(val);
  // One video per task, each single-threaded inside: a busy machine then costs one barrier per
  // call, not one per convolution.
  at::parallel_for(0, train + val, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const Video& video = i < train ? data.train[i] : data.val[i - train];
      VideoFeatures features = ExtractVideoFeatures(backbone, video.frames, options.chunk_frames);
      if (i < train) {
        bank.train[i] = {std::move(features)};
      } else {
        bank.val[i - train] = std::move(features);
      }
    }
  });
  return bank;
}

void AddAugmentedCopies(FrameBackbone& backbone, const VideoDataset& data, const FeatureOptions& options,
                        FeatureBank* bank) {
  TORCH_CHECK(bank->train.size() == data.train.size(), "AddAugmentedCopies: bank and data differ");
  const int64_t videos = static_cast<int64_t>(data.train.size());
  at::parallel_for(0, videos, 1, [&](int64_t begin, int64_t end) {
    for (int64_t v = begin; v < end; ++v) {
      const torch::Tensor frames = data.train[v].frames.to(torch::kFloat32).div_(255.0);
      std::vector<VideoFeatures>& copies = bank->train[v];
      for (int64_t c = static_cast<int64_t>(copies.size()); c <= options.augmented_copies; ++c) {
        const ClipAugmentation aug =
            DrawClipAugmentation(options.augment, MixSeed(options.seed ^ kAugmentStream, v, c));
        copies.push_back(ExtractVideoFeatures(backbone, ApplyClipAugmentation(frames, aug), options.chunk_frames));
      }
    }
  });
}

ChannelRange AllLayers(const FeatureBank& bank) {
  return {0, std::accumulate(bank.layer_channels.begin(), bank.layer_channels.end(), int64_t{0})};
}

ChannelRange LastLayer(const FeatureBank& bank) {
  const ChannelRange all = AllLayers(bank);
  return {all.end - bank.layer_channels.back(), all.end};
}

FrameBatch GatherFrames(const std::vector<const VideoFeatures*>& videos,
                        const std::vector<torch::Tensor>& frames, const ChannelRange& channels,
                        FrontEnd front_end) {
  TORCH_CHECK(videos.size() == frames.size() && !videos.empty(), "GatherFrames: one frame list per video");
  FrameBatch batch;
  if (UsesTokens(front_end)) {
    const int64_t t = frames[0].size(0);
    const VideoFeatures& first = *videos[0];
    batch.tokens = torch::empty({static_cast<int64_t>(videos.size()), t, first.tokens.size(1), channels.size()},
                                torch::kFloat32);
    for (size_t i = 0; i < videos.size(); ++i) {  // gather in half precision, convert while copying
      batch.tokens[static_cast<int64_t>(i)].copy_(
          videos[i]->tokens.index_select(0, frames[i]).slice(2, channels.begin, channels.end));
    }
  }
  if (UsesCls(front_end)) {
    std::vector<torch::Tensor> cls;
    for (size_t i = 0; i < videos.size(); ++i) cls.push_back(videos[i]->cls.index_select(0, frames[i]));
    batch.cls = torch::stack(cls);
  }
  return batch;
}

}  // namespace repro::mvformer
