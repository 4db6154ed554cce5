// MV-Former (MultiEntityTransformerEmbModel, spec §2) and, through the same temporal transformer,
// its baselines: late fusion of one vector per frame (CLS / avg / max) and the fixed-width baseline.
//
//   per frame:   front end -> E tokens [E, C_in]   (LSTP: E entity tokens of the patch grid;
//                                                   late fusion: 1 token; FWB: E tokens from CLS)
//                (+ one-hot entity id for LSTP/FWB)
//   per token:   2 x [Dropout -> Linear -> BatchNorm1d -> ReLU] -> Linear to hidden (shared by all
//                entities), + sinusoidal code of the frame's temporal position, Dropout
//   per video:   entity-major sequence [e1:t1..tT, e2:t1..tT, ...] of E*T tokens -> pre-LN
//                transformer (full attention, padded frames masked as keys in all E tracks)
//   per frame:   read-out (`one`: entity 0, `avg`: mean over entities) -> Linear to the embedding
//   training:    projection head Linear -> BN -> ReLU -> Linear, L2-normalised, into the SCL loss
//
//   MvFormer model(MvFormerOptions(FrontEnd::kLstp).entities(3).token_channels(192).cls_channels(64));
//   torch::Tensor e = model->forward(batch);             // [B, T, embedding_dim]
//   torch::Tensor p = model->project(e);                 // [B, T, embedding_dim]
#ifndef MVFORMER_MODEL_H_
#define MVFORMER_MODEL_H_

#include <cstdint>

#include "common/models/transformer.h"
#include "common/port/torch.h"
#include "mvformer/lstp.h"

namespace repro::mvformer {

enum class FrontEnd { kLstp, kLateCls, kLateAvg, kLateMax, kFwb };
enum class ReadOut { kOne, kAvg };

// The inputs of a batch of B clips of T frames (precomputed backbone features).
struct FrameBatch {
  torch::Tensor tokens;     // [B, T, N, C] patch tokens (LSTP, late avg/max), else undefined
  torch::Tensor cls;        // [B, T, C_cls] (late CLS, FWB), else undefined
  torch::Tensor positions;  // [B, T] float: temporal position of each frame for the sinusoidal code
  torch::Tensor padding;    // [B, T] bool, true = padded frame (ignored as a key; not in the loss)
};

struct MvFormerOptions {
  explicit MvFormerOptions(FrontEnd front_end) : front_end_(front_end) {}
  TORCH_ARG(FrontEnd, front_end);
  TORCH_ARG(int64_t, entities) = 3;         // E (1 for late fusion)
  TORCH_ARG(int64_t, token_channels) = 192; // C of the patch tokens
  TORCH_ARG(int64_t, cls_channels) = 64;
  TORCH_ARG(int64_t, grid_height) = 8;      // patch grid, for the 2-D position code
  TORCH_ARG(int64_t, grid_width) = 8;
  TORCH_ARG(int64_t, position_dims) = 16;   // 2-D sin-cos code appended to each token (LSTP)
  TORCH_ARG(int64_t, pool_dim) = 64;        // d of LSTP / FWB tokens
  TORCH_ARG(int64_t, fc_dim) = 128;
  TORCH_ARG(int64_t, hidden_dim) = 64;
  TORCH_ARG(int64_t, encoder_layers) = 2;
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, ff_dim) = 128;
  TORCH_ARG(double, dropout) = 0.1;
  TORCH_ARG(ReadOut, read_out) = ReadOut::kOne;
  TORCH_ARG(int64_t, embedding_dim) = 32;
  TORCH_ARG(int64_t, projection_dim) = 32;
};

// Inverted dropout whose mask comes from `generator` (the default generator when null): a run that
// owns its generator stays deterministic while other runs train concurrently in the same process.
torch::Tensor GeneratorDropout(const torch::Tensor& x, double p, bool training, torch::Generator* generator);

// One layer of MV-Former's temporal transformer (spec §2, pre-LN, as the official code):
//   x += Dropout(MHA(LN1(x)));   x += Dropout(W2 ReLU(W1 LN2(x)))
// with no attention dropout and no dropout inside the feed-forward block. The attention is
// common/models' MultiHeadSelfAttention; the layer exists so that its dropout can draw from a
// per-run generator.
class TemporalEncoderLayerImpl : public torch::nn::Module {
 public:
  TemporalEncoderLayerImpl(int64_t dim, int64_t heads, int64_t ff_dim, double dropout);

  // x: [B, S, dim]; key_padding_mask: [B, S] bool (true = padding) -> [B, S, dim].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask,
                        torch::Generator* generator);

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  MultiHeadSelfAttention attention{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(TemporalEncoderLayer);

// Whether a front end reads the patch tokens / the CLS vector.
bool UsesTokens(FrontEnd front_end);
bool UsesCls(FrontEnd front_end);

// The fixed 2-D sin-cos position code of a grid_height x grid_width patch grid: [N, dims], half the
// dims for the row and half for the column, each [sin(p w_k), cos(p w_k)] with w_k = 10000^(-k/(dims/4)).
torch::Tensor GridPositionCode(int64_t grid_height, int64_t grid_width, int64_t dims);

// The temporal code of MV-Former's code: PE[p, i] = sin(p / 10000^(i/D)) for even i and
// cos(p / 10000^(i/D)) for odd i (i the dimension index itself). positions [B, T] -> [B, T, D].
torch::Tensor TemporalCode(const torch::Tensor& positions, int64_t dims);

class MvFormerImpl : public torch::nn::Module {
 public:
  explicit MvFormerImpl(const MvFormerOptions& options);

  // batch -> per-frame embeddings [B, T, embedding_dim] (not normalised).
  torch::Tensor forward(const FrameBatch& batch);
  // embeddings [B, T, D] -> the projection head's output [B, T, D] (not normalised).
  torch::Tensor project(const torch::Tensor& embeddings);
  // LSTP only: tokens [M, N, C] -> attention of each query over the patches [M, E, N].
  torch::Tensor lstp_attention(const torch::Tensor& tokens);

  // Where dropout draws its masks (not owned; null: the default generator).
  void set_generator(torch::Generator* generator) { generator_ = generator; }

  const MvFormerOptions& options() const { return options_; }

  LearnableSpatialTokenPooling lstp{nullptr};  // LSTP
  torch::nn::Linear fwb{nullptr};              // FWB: C_cls -> pool_dim * E
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, video_embedding{nullptr}, embedding{nullptr};
  torch::nn::BatchNorm1d bn1{nullptr}, bn2{nullptr};
  torch::nn::ModuleList encoder{nullptr};  // TemporalEncoderLayer x encoder_layers
  torch::nn::Sequential projection{nullptr};

 private:
  // [B, T, E, C_in] tokens of each frame.
  torch::Tensor FrameTokens(const FrameBatch& batch);

  torch::Tensor Dropout(const torch::Tensor& x) {
    return GeneratorDropout(x, options_.dropout(), is_training(), generator_);
  }

  MvFormerOptions options_;
  torch::Tensor grid_code_;  // [N, position_dims]
  torch::Generator* generator_ = nullptr;
};
TORCH_MODULE(MvFormer);

}  // namespace repro::mvformer

#endif  // MVFORMER_MODEL_H_
