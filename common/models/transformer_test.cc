#include "common/models/transformer.h"

#include "gtest/gtest.h"

namespace repro {
namespace {

namespace nn = torch::nn;

// LibTorch's own MultiheadAttention, given the same weights, is the independent reference.
TEST(MultiHeadSelfAttentionTest, MatchesTorchMultiheadAttention) {
  torch::manual_seed(0);
  const int64_t batch = 3, tokens = 5, dim = 12, heads = 3;
  MultiHeadSelfAttention ours(dim, heads, 0.0);
  nn::MultiheadAttention reference(nn::MultiheadAttentionOptions(dim, heads));
  {
    torch::NoGradGuard no_grad;
    reference->in_proj_weight.copy_(ours->qkv->weight);
    reference->in_proj_bias.copy_(ours->qkv->bias);
    reference->out_proj->weight.copy_(ours->proj->weight);
    reference->out_proj->bias.copy_(ours->proj->bias);
  }
  const torch::Tensor x = torch::randn({batch, tokens, dim});
  torch::Tensor mask = torch::zeros({batch, tokens}, torch::kBool);
  mask[1][4] = true;
  mask[2][0] = true;
  mask[2][3] = true;

  auto [out, attention] = ours->forward(x, mask);
  const torch::Tensor xt = x.transpose(0, 1);  // reference wants [T, B, D]
  auto [ref_out, ref_attention] = reference->forward(xt, xt, xt, mask);
  EXPECT_TRUE(torch::allclose(out, ref_out.transpose(0, 1), 1e-5, 1e-6));
  EXPECT_EQ(attention.sizes(), torch::IntArrayRef({batch, heads, tokens, tokens}));
  // The reference returns the head-averaged weights.
  EXPECT_TRUE(torch::allclose(attention.mean(1), ref_attention, 1e-5, 1e-6));
  // Padded keys get no attention; rows are distributions.
  EXPECT_EQ(attention.index({2, torch::indexing::Slice(), torch::indexing::Slice(), 3})
                .abs()
                .max()
                .item<float>(),
            0.0f);
  EXPECT_TRUE(torch::allclose(attention.sum(-1), torch::ones({batch, heads, tokens})));
}

TEST(TransformerBlockTest, PaddingDoesNotChangeRealTokens) {
  torch::manual_seed(1);
  TransformerBlock block(TransformerBlockOptions(16, 4).mlp_dim(32).dropout(0.1));
  block->eval();
  const torch::Tensor x = torch::randn({1, 6, 16});
  torch::Tensor mask = torch::zeros({1, 6}, torch::kBool);
  mask.index_put_({0, torch::indexing::Slice(4, 6)}, true);
  const torch::Tensor padded = block->forward(x, mask);
  const torch::Tensor truncated = block->forward(x.narrow(1, 0, 4));
  EXPECT_TRUE(torch::allclose(padded.narrow(1, 0, 4), truncated, 1e-5, 1e-6));
}

TEST(TransformerBlockTest, PreNormResidualStructure) {
  // With the attention output and the MLP output layer zeroed the block is the identity.
  torch::manual_seed(2);
  TransformerBlock block(TransformerBlockOptions(8, 2).activation(MlpActivation::kRelu));
  {
    torch::NoGradGuard no_grad;
    block->attention->proj->weight.zero_();
    block->attention->proj->bias.zero_();
    block->fc2->weight.zero_();
    block->fc2->bias.zero_();
  }
  const torch::Tensor x = torch::randn({2, 3, 8});
  auto [y, attention] = block->forward_with_attention(x);
  EXPECT_TRUE(torch::equal(y, x));
  EXPECT_EQ(attention.sizes(), torch::IntArrayRef({2, 2, 3, 3}));
  EXPECT_EQ(block->fc1->weight.size(0), 32);  // mlp_dim 0 -> 4 * dim
}

TEST(TransformerEncoderTest, StacksBlocksAndFinalNorm) {
  torch::manual_seed(3);
  TransformerEncoder encoder(TransformerBlockOptions(8, 2).mlp_dim(16), 3, /*final_norm=*/true);
  EXPECT_EQ(encoder->depth(), 3);
  const torch::Tensor y = encoder->forward(torch::randn({2, 4, 8}));
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({2, 4, 8}));
  // Final LayerNorm with unit weight and zero bias: every token has zero mean.
  EXPECT_LT(y.mean(-1).abs().max().item<float>(), 1e-5);
  TransformerEncoder no_norm(TransformerBlockOptions(8, 2), 1, /*final_norm=*/false);
  EXPECT_FALSE(no_norm->norm);
}

TEST(TransformerTest, XavierInitBoundsAndZeroBias) {
  torch::manual_seed(4);
  TransformerBlock block(TransformerBlockOptions(16, 4).mlp_dim(64));
  XavierInitLinears(*block);
  const double bound = std::sqrt(6.0 / (16 + 64));
  EXPECT_LE(block->fc1->weight.abs().max().item<double>(), bound);
  EXPECT_EQ(block->fc1->bias.abs().max().item<float>(), 0.0f);
}

TEST(TransformerTest, RejectsBadShapes) {
  EXPECT_THROW(MultiHeadSelfAttention(10, 3, 0.0), c10::Error);
  MultiHeadSelfAttention attention(8, 2, 0.0);
  EXPECT_THROW(attention->forward(torch::randn({2, 3, 6})), c10::Error);
  EXPECT_THROW(attention->forward(torch::randn({2, 3, 8}), torch::zeros({2, 4}, torch::kBool)),
               c10::Error);
}

}  // namespace
}  // namespace repro
