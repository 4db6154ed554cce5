#include "mvformer/model.h"

#include <cmath>

namespace repro::mvformer {

namespace nn = torch::nn;

torch::Tensor GeneratorDropout(const torch::Tensor& x, double p, bool training, torch::Generator* generator) {
  if (!training || p <= 0) return x;
  torch::Tensor keep = torch::empty_like(x);
  if (generator != nullptr) {
    keep.bernoulli_(1.0 - p, *generator);
  } else {
    keep.bernoulli_(1.0 - p);
  }
  return x * keep / (1.0 - p);
}

TemporalEncoderLayerImpl::TemporalEncoderLayerImpl(int64_t dim, int64_t heads, int64_t ff_dim, double dropout)
    : dropout_(dropout) {
  norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({dim})));
  attention = register_module("attention", MultiHeadSelfAttention(dim, heads, /*attention_dropout=*/0.0));
  norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({dim})));
  fc1 = register_module("fc1", nn::Linear(dim, ff_dim));
  fc2 = register_module("fc2", nn::Linear(ff_dim, dim));
}

torch::Tensor TemporalEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask,
                                                torch::Generator* generator) {
  const bool train = is_training();
  torch::Tensor y = x + GeneratorDropout(attention->forward(norm1->forward(x), key_padding_mask).first,
                                         dropout_, train, generator);
  return y + GeneratorDropout(fc2->forward(torch::relu(fc1->forward(norm2->forward(y)))), dropout_, train,
                              generator);
}

bool UsesTokens(FrontEnd front_end) {
  return front_end == FrontEnd::kLstp || front_end == FrontEnd::kLateAvg ||
         front_end == FrontEnd::kLateMax;
}

bool UsesCls(FrontEnd front_end) {
  return front_end == FrontEnd::kLateCls || front_end == FrontEnd::kFwb;
}

torch::Tensor GridPositionCode(int64_t grid_height, int64_t grid_width, int64_t dims) {
  TORCH_CHECK(dims > 0 && dims % 4 == 0, "GridPositionCode: dims must be a positive multiple of 4");
  const int64_t quarter = dims / 4;
  const torch::Tensor omega =
      torch::pow(10000.0, -torch::arange(quarter, torch::kFloat64) / static_cast<double>(quarter));
  auto axis = [&](int64_t size) {  // [size, dims / 2]
    const torch::Tensor angle = torch::arange(size, torch::kFloat64).unsqueeze(1) * omega.unsqueeze(0);
    return torch::cat({torch::sin(angle), torch::cos(angle)}, 1);
  };
  const torch::Tensor rows = axis(grid_height), cols = axis(grid_width);
  return torch::cat({rows.unsqueeze(1).expand({grid_height, grid_width, dims / 2}),
                     cols.unsqueeze(0).expand({grid_height, grid_width, dims / 2})},
                    2)
      .reshape({grid_height * grid_width, dims})
      .to(torch::kFloat32);
}

torch::Tensor TemporalCode(const torch::Tensor& positions, int64_t dims) {
  const torch::Tensor i = torch::arange(dims, torch::kFloat32);
  const torch::Tensor angle =
      positions.to(torch::kFloat32).unsqueeze(-1) / torch::pow(10000.0f, i / static_cast<float>(dims));
  const torch::Tensor even = torch::arange(dims, torch::kInt64).remainder(2).eq(0);
  return torch::where(even, torch::sin(angle), torch::cos(angle));
}

MvFormerImpl::MvFormerImpl(const MvFormerOptions& options) : options_(options) {
  const FrontEnd front = options.front_end();
  const bool smart = front == FrontEnd::kLstp || front == FrontEnd::kFwb;
  TORCH_CHECK(smart || options.entities() == 1, "MvFormer: late fusion has one token per frame (E = 1)");
  int64_t in = 0;
  switch (front) {
    case FrontEnd::kLstp:
      lstp = register_module("lstp", LearnableSpatialTokenPooling(LstpOptions(
                                         options.token_channels() + options.position_dims(),
                                         options.entities(), options.pool_dim())));
      if (options.position_dims() > 0) {  // ViT tokens carry position already: 0 appends nothing
        grid_code_ = register_buffer(
            "grid_code", GridPositionCode(options.grid_height(), options.grid_width(), options.position_dims()));
      }
      in = options.pool_dim();
      break;
    case FrontEnd::kFwb:
      fwb = register_module("fwb", nn::Linear(options.cls_channels(), options.pool_dim() * options.entities()));
      in = options.pool_dim();
      break;
    case FrontEnd::kLateCls:
      in = options.cls_channels();
      break;
    case FrontEnd::kLateAvg:
    case FrontEnd::kLateMax:
      in = options.token_channels();
      break;
  }
  if (smart) in += options.entities();  // one-hot entity id
  fc1 = register_module("fc1", nn::Linear(in, options.fc_dim()));
  bn1 = register_module("bn1", nn::BatchNorm1d(options.fc_dim()));
  fc2 = register_module("fc2", nn::Linear(options.fc_dim(), options.fc_dim()));
  bn2 = register_module("bn2", nn::BatchNorm1d(options.fc_dim()));
  video_embedding = register_module("video_embedding", nn::Linear(options.fc_dim(), options.hidden_dim()));
  encoder = register_module("encoder", nn::ModuleList());
  for (int64_t i = 0; i < options.encoder_layers(); ++i) {
    encoder->push_back(
        TemporalEncoderLayer(options.hidden_dim(), options.heads(), options.ff_dim(), options.dropout()));
  }
  XavierInitLinears(*encoder);
  embedding = register_module("embedding", nn::Linear(options.hidden_dim(), options.embedding_dim()));
  projection = register_module(
      "projection", nn::Sequential(nn::Linear(options.embedding_dim(), options.projection_dim()),
                                   nn::BatchNorm1d(options.projection_dim()), nn::ReLU(),
                                   nn::Linear(options.projection_dim(), options.embedding_dim())));
}

torch::Tensor MvFormerImpl::FrameTokens(const FrameBatch& batch) {
  const FrontEnd front = options_.front_end();
  if (UsesTokens(front)) {
    TORCH_CHECK(batch.tokens.defined() && batch.tokens.dim() == 4 &&
                    batch.tokens.size(3) == options_.token_channels(),
                "MvFormer: expected tokens [B, T, N, ", options_.token_channels(), "]");
  } else {
    TORCH_CHECK(batch.cls.defined() && batch.cls.dim() == 3 && batch.cls.size(2) == options_.cls_channels(),
                "MvFormer: expected cls [B, T, ", options_.cls_channels(), "]");
  }
  switch (front) {
    case FrontEnd::kLstp: {
      const int64_t b = batch.tokens.size(0), t = batch.tokens.size(1);
      const torch::Tensor flat = batch.tokens.flatten(0, 1);  // [B*T, N, C]
      const torch::Tensor pooled = grid_code_.defined() ? lstp->forward(flat, grid_code_).first : lstp->forward(flat).first;
      return pooled.view({b, t, options_.entities(), -1});
    }
    case FrontEnd::kFwb:
      return fwb->forward(batch.cls).view({batch.cls.size(0), batch.cls.size(1), options_.entities(), -1});
    case FrontEnd::kLateCls:
      return batch.cls.unsqueeze(2);
    case FrontEnd::kLateAvg:
      return batch.tokens.mean(2).unsqueeze(2);
    case FrontEnd::kLateMax:
      return std::get<0>(batch.tokens.max(2)).unsqueeze(2);
  }
  return {};
}

torch::Tensor MvFormerImpl::forward(const FrameBatch& batch) {
  torch::Tensor x = FrameTokens(batch);  // [B, T, E, C_in]
  const int64_t b = x.size(0), t = x.size(1), e = x.size(2);
  TORCH_CHECK(batch.positions.defined() && batch.positions.sizes() == torch::IntArrayRef({b, t}) &&
                  batch.padding.defined() && batch.padding.sizes() == torch::IntArrayRef({b, t}),
              "MvFormer: positions and padding must be [B, T] = [", b, ", ", t, "]");
  const FrontEnd front = options_.front_end();
  if (front == FrontEnd::kLstp || front == FrontEnd::kFwb) {
    const torch::Tensor one_hot = torch::eye(e, x.options()).view({1, 1, e, e}).expand({b, t, e, e});
    x = torch::cat({x, one_hot}, 3);
  }
  x = x.reshape({b * t * e, -1});
  x = torch::relu(bn1->forward(fc1->forward(Dropout(x))));
  x = torch::relu(bn2->forward(fc2->forward(Dropout(x))));
  x = video_embedding->forward(x).view({b, t, e, -1});
  const int64_t h = x.size(3);
  x = Dropout(x + TemporalCode(batch.positions, h).unsqueeze(2));
  // Entity-major sequence: [B, E, T, H] -> [B, E*T, H]; every entity's copy of a padded frame masked.
  x = x.permute({0, 2, 1, 3}).reshape({b, e * t, h});
  const torch::Tensor mask = batch.padding.unsqueeze(1).expand({b, e, t}).reshape({b, e * t});
  for (const auto& layer : *encoder) x = layer->as<TemporalEncoderLayerImpl>()->forward(x, mask, generator_);
  x = x.reshape({b, e, t, h});
  x = options_.read_out() == ReadOut::kOne ? x.select(1, 0) : x.mean(1);  // [B, T, H]
  return embedding->forward(x);
}

torch::Tensor MvFormerImpl::project(const torch::Tensor& embeddings) {
  const auto sizes = embeddings.sizes().vec();
  return projection->forward(embeddings.reshape({-1, sizes.back()})).view(sizes);
}

torch::Tensor MvFormerImpl::lstp_attention(const torch::Tensor& tokens) {
  TORCH_CHECK(lstp, "MvFormer: attention maps exist only for the LSTP front end");
  return grid_code_.defined() ? lstp->forward(tokens, grid_code_).second : lstp->forward(tokens).second;
}

}  // namespace repro::mvformer
