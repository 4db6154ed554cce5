// Pre-norm transformer encoder pieces (Vaswani et al. 2017, with the pre-LN placement of Xiong et al.
// 2020 that ViT and MV-Former use), shared by the tiny ViT and MV-Former's temporal transformer.
//
//   TransformerBlock block(TransformerBlockOptions(/*dim=*/64, /*heads=*/4).mlp_dim(128));
//   torch::Tensor y = block->forward(x);               // x, y: [B, T, 64]
//   auto [y2, attention] = block->forward_with_attention(x, key_padding_mask);  // [B, 4, T, T]
//
// Self-attention is written out (one fused q/k/v Linear, one output Linear) rather than taken from
// torch::nn::MultiheadAttention, so that its weights are ordinary Linear layers (the sparsity paper
// masks them) and its attention weights can be returned per head.
#ifndef COMMON_MODELS_TRANSFORMER_H_
#define COMMON_MODELS_TRANSFORMER_H_

#include <cstdint>
#include <utility>

#include "common/port/torch.h"

namespace repro {

enum class MlpActivation { kGelu, kRelu };

struct TransformerBlockOptions {
  TransformerBlockOptions(int64_t dim, int64_t heads) : dim_(dim), heads_(heads) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, heads);
  // Hidden width of the MLP; 0 means 4 * dim.
  TORCH_ARG(int64_t, mlp_dim) = 0;
  // Dropout on each residual branch (after the attention projection and inside/after the MLP).
  TORCH_ARG(double, dropout) = 0.0;
  // Dropout on the attention probabilities.
  TORCH_ARG(double, attention_dropout) = 0.0;
  TORCH_ARG(MlpActivation, activation) = MlpActivation::kGelu;
  TORCH_ARG(double, layer_norm_eps) = 1e-5;
};

// Multi-head scaled dot-product self-attention:
// Attention(Q, K, V) = softmax(Q K^T / sqrt(d_head) + mask) V, heads concatenated, then W_o.
class MultiHeadSelfAttentionImpl : public torch::nn::Module {
 public:
  MultiHeadSelfAttentionImpl(int64_t dim, int64_t heads, double attention_dropout);

  // x: [B, T, dim]; key_padding_mask: undefined or [B, T] bool, true = padding (ignored as a key).
  // Returns ([B, T, dim], attention probabilities [B, heads, T, T], after the mask, before dropout).
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x,
                                                  const torch::Tensor& key_padding_mask = {});

  torch::nn::Linear qkv{nullptr};  // [3 * dim, dim]: rows 0..dim-1 = Q, then K, then V
  torch::nn::Linear proj{nullptr};

 private:
  int64_t dim_;
  int64_t heads_;
  torch::nn::Dropout attention_dropout_{nullptr};
};
TORCH_MODULE(MultiHeadSelfAttention);

// One pre-norm encoder block:
//   x = x + Dropout(MHSA(LN1(x)));   x = x + Dropout(W2 Dropout(act(W1 LN2(x)))).
class TransformerBlockImpl : public torch::nn::Module {
 public:
  explicit TransformerBlockImpl(const TransformerBlockOptions& options);

  // x: [B, T, dim]; key_padding_mask: undefined or [B, T] bool (true = padding) -> [B, T, dim].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask = {});
  // As forward(), also returning the attention probabilities [B, heads, T, T].
  std::pair<torch::Tensor, torch::Tensor> forward_with_attention(
      const torch::Tensor& x, const torch::Tensor& key_padding_mask = {});

  const TransformerBlockOptions& options() const { return options_; }

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  MultiHeadSelfAttention attention{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};

 private:
  torch::Tensor Mlp(const torch::Tensor& x);

  TransformerBlockOptions options_;
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(TransformerBlock);

// A stack of `depth` pre-norm blocks, optionally followed by a final LayerNorm (ViT has one,
// MV-Former's temporal transformer does not).
class TransformerEncoderImpl : public torch::nn::Module {
 public:
  TransformerEncoderImpl(const TransformerBlockOptions& block, int64_t depth, bool final_norm);

  // x: [B, T, dim]; key_padding_mask: undefined or [B, T] bool (true = padding) -> [B, T, dim].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask = {});

  int64_t depth() const { return static_cast<int64_t>(blocks->size()); }

  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm norm{nullptr};  // null without final_norm
};
TORCH_MODULE(TransformerEncoder);

// Xavier-uniform weights and zero biases for every Linear under `module` (the usual transformer
// initialisation; MV-Former's encoder uses it).
void XavierInitLinears(torch::nn::Module& module);

}  // namespace repro

#endif  // COMMON_MODELS_TRANSFORMER_H_
