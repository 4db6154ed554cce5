#include "common/models/transformer.h"

#include <cmath>
#include <limits>

namespace repro {

namespace nn = torch::nn;

MultiHeadSelfAttentionImpl::MultiHeadSelfAttentionImpl(int64_t dim, int64_t heads,
                                                       double attention_dropout)
    : dim_(dim), heads_(heads) {
  TORCH_CHECK(dim > 0 && heads > 0 && dim % heads == 0, "MultiHeadSelfAttention: dim (", dim,
              ") must be a positive multiple of heads (", heads, ")");
  qkv = register_module("qkv", nn::Linear(dim, 3 * dim));
  proj = register_module("proj", nn::Linear(dim, dim));
  attention_dropout_ = register_module("attention_dropout", nn::Dropout(attention_dropout));
}

std::pair<torch::Tensor, torch::Tensor> MultiHeadSelfAttentionImpl::forward(
    const torch::Tensor& x, const torch::Tensor& key_padding_mask) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == dim_, "MultiHeadSelfAttention: expected [B, T, ", dim_,
              "], got ", x.sizes());
  const int64_t batch = x.size(0), tokens = x.size(1), head_dim = dim_ / heads_;
  // [B, T, 3 * dim] -> [3, B, heads, T, head_dim]
  const torch::Tensor qkv_heads =
      qkv->forward(x).view({batch, tokens, 3, heads_, head_dim}).permute({2, 0, 3, 1, 4});
  const torch::Tensor q = qkv_heads[0], k = qkv_heads[1], v = qkv_heads[2];
  torch::Tensor scores =
      torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  if (key_padding_mask.defined()) {
    TORCH_CHECK(key_padding_mask.scalar_type() == torch::kBool &&
                    key_padding_mask.sizes() == torch::IntArrayRef({batch, tokens}),
                "MultiHeadSelfAttention: key_padding_mask must be bool [", batch, ", ", tokens,
                "], got ", key_padding_mask.sizes());
    scores = scores.masked_fill(key_padding_mask.view({batch, 1, 1, tokens}),
                                -std::numeric_limits<float>::infinity());
  }
  const torch::Tensor attention = torch::softmax(scores, -1);  // [B, heads, T, T]
  const torch::Tensor out = torch::matmul(attention_dropout_->forward(attention), v)  // [B,h,T,hd]
                                .transpose(1, 2)
                                .reshape({batch, tokens, dim_});
  return {proj->forward(out), attention};
}

TransformerBlockImpl::TransformerBlockImpl(const TransformerBlockOptions& options)
    : options_(options) {
  const int64_t dim = options_.dim();
  const int64_t mlp_dim = options_.mlp_dim() > 0 ? options_.mlp_dim() : 4 * dim;
  const auto norm_options =
      nn::LayerNormOptions({dim}).eps(options_.layer_norm_eps());
  norm1 = register_module("norm1", nn::LayerNorm(norm_options));
  attention = register_module(
      "attention", MultiHeadSelfAttention(dim, options_.heads(), options_.attention_dropout()));
  norm2 = register_module("norm2", nn::LayerNorm(norm_options));
  fc1 = register_module("fc1", nn::Linear(dim, mlp_dim));
  fc2 = register_module("fc2", nn::Linear(mlp_dim, dim));
  dropout_ = register_module("dropout", nn::Dropout(options_.dropout()));
}

torch::Tensor TransformerBlockImpl::Mlp(const torch::Tensor& x) {
  torch::Tensor h = fc1->forward(x);
  h = options_.activation() == MlpActivation::kGelu ? torch::gelu(h) : torch::relu(h);
  return fc2->forward(dropout_->forward(h));
}

std::pair<torch::Tensor, torch::Tensor> TransformerBlockImpl::forward_with_attention(
    const torch::Tensor& x, const torch::Tensor& key_padding_mask) {
  auto [attended, weights] = attention->forward(norm1->forward(x), key_padding_mask);
  torch::Tensor y = x + dropout_->forward(attended);
  y = y + dropout_->forward(Mlp(norm2->forward(y)));
  return {y, weights};
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x,
                                            const torch::Tensor& key_padding_mask) {
  return forward_with_attention(x, key_padding_mask).first;
}

TransformerEncoderImpl::TransformerEncoderImpl(const TransformerBlockOptions& block, int64_t depth,
                                               bool final_norm) {
  TORCH_CHECK(depth > 0, "TransformerEncoder: depth must be positive, got ", depth);
  blocks = register_module("blocks", nn::ModuleList());
  for (int64_t i = 0; i < depth; ++i) blocks->push_back(TransformerBlock(block));
  if (final_norm) {
    norm = register_module(
        "norm", nn::LayerNorm(nn::LayerNormOptions({block.dim()}).eps(block.layer_norm_eps())));
  }
}

torch::Tensor TransformerEncoderImpl::forward(const torch::Tensor& x,
                                              const torch::Tensor& key_padding_mask) {
  torch::Tensor y = x;
  for (const auto& block : *blocks) {
    y = block->as<TransformerBlockImpl>()->forward(y, key_padding_mask);
  }
  return norm ? norm->forward(y) : y;
}

void XavierInitLinears(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/true)) {
    if (auto* linear = m->as<nn::Linear>()) {
      nn::init::xavier_uniform_(linear->weight);
      if (linear->bias.defined()) linear->bias.zero_();
    }
  }
}

}  // namespace repro
