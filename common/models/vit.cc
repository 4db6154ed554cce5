#include "common/models/vit.h"

namespace repro {

namespace nn = torch::nn;

ViTOptions ViTB16Options(int64_t num_classes) {
  return ViTOptions()
      .image_size(224)
      .in_channels(3)
      .patch_size(16)
      .dim(768)
      .depth(12)
      .heads(12)
      .mlp_dim(3072)
      .num_classes(num_classes);
}

ViTImpl::ViTImpl(const ViTOptions& options) : options_(options) {
  TORCH_CHECK(options_.patch_size() > 0 && options_.image_size() % options_.patch_size() == 0,
              "ViT: image_size (", options_.image_size(), ") must be a multiple of patch_size (",
              options_.patch_size(), ")");
  TORCH_CHECK(options_.num_classes() > 0 && options_.in_channels() > 0,
              "ViT: num_classes and in_channels must be positive");
  const int64_t grid = options_.image_size() / options_.patch_size();
  num_patches_ = grid * grid;
  const int64_t dim = options_.dim();
  patch_embedding = register_module(
      "patch_embedding",
      nn::Conv2d(nn::Conv2dOptions(options_.in_channels(), dim, options_.patch_size())
                     .stride(options_.patch_size())));
  cls_token = register_parameter("cls_token", torch::zeros({1, 1, dim}));
  position_embedding = register_parameter(
      "position_embedding", torch::randn({1, 1 + num_patches_, dim}).mul_(0.02));
  dropout_ = register_module("dropout", nn::Dropout(options_.dropout()));
  encoder = register_module(
      "encoder", TransformerEncoder(TransformerBlockOptions(dim, options_.heads())
                                        .mlp_dim(options_.mlp_dim())
                                        .dropout(options_.dropout())
                                        .attention_dropout(options_.attention_dropout())
                                        .activation(MlpActivation::kGelu)
                                        .layer_norm_eps(options_.layer_norm_eps()),
                                    options_.depth(), /*final_norm=*/true));
  XavierInitLinears(*encoder);
  head = register_module("head", nn::Linear(dim, options_.num_classes()));
}

torch::Tensor ViTImpl::tokens(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options_.in_channels() &&
                  x.size(2) == options_.image_size() && x.size(3) == options_.image_size(),
              "ViT: expected images [B, ", options_.in_channels(), ", ", options_.image_size(),
              ", ", options_.image_size(), "], got ", x.sizes());
  // [B, C, S, S] -> [B, dim, S/p, S/p] -> [B, num_patches, dim]
  const torch::Tensor patches = patch_embedding->forward(x).flatten(2).transpose(1, 2);
  torch::Tensor z = torch::cat({cls_token.expand({x.size(0), 1, options_.dim()}), patches}, 1);
  z = dropout_->forward(z + position_embedding);
  return encoder->forward(z);
}

torch::Tensor ViTImpl::features(const torch::Tensor& x) {
  return tokens(x).select(1, 0);
}

torch::Tensor ViTImpl::logits_from_features(const torch::Tensor& f) {
  return head->forward(f);
}

}  // namespace repro
