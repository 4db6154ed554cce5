#include "mvformer/evaluate.h"

#include <algorithm>

namespace repro::mvformer {

std::vector<torch::Tensor> EmbedVideos(MvFormer& model, const std::vector<const VideoFeatures*>& videos,
                                       const ChannelRange& channels, int64_t num_frames,
                                       int64_t batch_videos) {
  TORCH_CHECK(batch_videos > 0 && num_frames > 0, "EmbedVideos: batch_videos and num_frames must be > 0");
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  std::vector<torch::Tensor> out;
  for (size_t begin = 0; begin < videos.size(); begin += batch_videos) {
    const size_t end = std::min(videos.size(), begin + static_cast<size_t>(batch_videos));
    int64_t longest = 0;
    for (size_t i = begin; i < end; ++i) longest = std::max(longest, videos[i]->length());
    std::vector<const VideoFeatures*> clips;
    std::vector<torch::Tensor> frames, positions, padding;
    for (size_t i = begin; i < end; ++i) {
      const int64_t length = videos[i]->length();
      const torch::Tensor t = torch::arange(longest, torch::kInt64);
      clips.push_back(videos[i]);
      frames.push_back(t.clamp_max(length - 1));
      torch::Tensor p = torch::full({longest}, static_cast<float>(num_frames - 1));
      p.slice(0, 0, length).copy_(torch::linspace(0, static_cast<double>(num_frames - 1), length));
      positions.push_back(p);
      padding.push_back(t.ge(length));
    }
    FrameBatch batch = GatherFrames(clips, frames, channels, model->options().front_end());
    batch.positions = torch::stack(positions);
    batch.padding = torch::stack(padding);
    const torch::Tensor embeddings = torch::nn::functional::normalize(
        model->forward(batch), torch::nn::functional::NormalizeFuncOptions().dim(-1));
    for (size_t i = begin; i < end; ++i) {
      out.push_back(embeddings[static_cast<int64_t>(i - begin)].slice(0, 0, videos[i]->length()).clone());
    }
  }
  if (was_training) model->train();
  return out;
}

VideoMetrics EvaluateModel(MvFormer& model, const FeatureBank& bank, const VideoDataset& data,
                           const ChannelRange& channels, int64_t num_frames, int64_t batch_videos,
                           const VideoMetricsOptions& options) {
  TORCH_CHECK(bank.train.size() == data.train.size() && bank.val.size() == data.val.size(),
              "EvaluateModel: features and videos differ");
  std::vector<const VideoFeatures*> train_features, val_features;
  for (const auto& copies : bank.train) train_features.push_back(&copies[0]);
  for (const auto& features : bank.val) val_features.push_back(&features);
  const std::vector<torch::Tensor> train_embeddings =
      EmbedVideos(model, train_features, channels, num_frames, batch_videos);
  const std::vector<torch::Tensor> val_embeddings =
      EmbedVideos(model, val_features, channels, num_frames, batch_videos);
  std::vector<VideoEmbedding> train, val;
  for (size_t i = 0; i < data.train.size(); ++i) {
    train.push_back({train_embeddings[i], data.train[i].phases, data.train[i].action});
  }
  for (size_t i = 0; i < data.val.size(); ++i) {
    val.push_back({val_embeddings[i], data.val[i].phases, data.val[i].action});
  }
  std::vector<int> num_phases;
  for (const VideoAction& action : data.actions) num_phases.push_back(action.num_phases);
  return EvaluateVideoEmbeddings(train, val, num_phases, options);
}

torch::Tensor PatchEntityShares(const torch::Tensor& entities, int64_t grid_height, int64_t grid_width) {
  TORCH_CHECK(entities.dim() == 3, "PatchEntityShares: expected [L, H, W], got ", entities.sizes());
  const torch::Tensor one_hot =
      torch::one_hot(entities.to(torch::kInt64), 4).permute({0, 3, 1, 2}).to(torch::kFloat32);  // [L, 4, H, W]
  return torch::adaptive_avg_pool2d(one_hot, {grid_height, grid_width}).flatten(2);
}

torch::Tensor AttentionMaps(MvFormer& model, const VideoFeatures& video, const ChannelRange& channels,
                            int64_t grid_height, int64_t grid_width) {
  torch::NoGradGuard no_grad;
  const torch::Tensor tokens = video.tokens.slice(2, channels.begin, channels.end).to(torch::kFloat32);
  const torch::Tensor attention = model->lstp_attention(tokens);  // [L, E, N]
  return attention.view({attention.size(0), attention.size(1), grid_height, grid_width});
}

AttentionShares MeasureAttention(MvFormer& model, const FeatureBank& bank, const VideoDataset& data,
                                 const ChannelRange& channels) {
  torch::NoGradGuard no_grad;
  const int64_t entities = model->options().entities();
  torch::Tensor mass = torch::zeros({entities, 4}, torch::kFloat64);
  torch::Tensor uniform = torch::zeros({4}, torch::kFloat64);
  int64_t frames = 0;
  for (size_t v = 0; v < data.val.size(); ++v) {
    TORCH_CHECK(data.val[v].entities.defined(), "MeasureAttention: video ", data.val[v].name,
                " has no entity map (only synthetic videos do)");
    const torch::Tensor shares =
        PatchEntityShares(data.val[v].entities, bank.grid_height, bank.grid_width).to(torch::kFloat64);
    const torch::Tensor attention =
        AttentionMaps(model, bank.val[v], channels, bank.grid_height, bank.grid_width)
            .flatten(2)
            .to(torch::kFloat64);  // [L, E, N]
    mass += torch::matmul(attention, shares.transpose(1, 2)).sum(0);  // [E, 4]
    uniform += shares.mean(2).sum(0);
    frames += attention.size(0);
  }
  AttentionShares out;
  out.frames = frames;
  mass /= static_cast<double>(std::max<int64_t>(frames, 1));
  uniform /= static_cast<double>(std::max<int64_t>(frames, 1));
  for (int64_t e = 0; e < entities; ++e) {
    out.mass.push_back({mass[e][0].item<double>(), mass[e][1].item<double>(), mass[e][2].item<double>(),
                        mass[e][3].item<double>()});
  }
  for (int k = 0; k < 4; ++k) out.uniform[k] = uniform[k].item<double>();
  return out;
}

}  // namespace repro::mvformer
