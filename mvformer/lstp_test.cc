#include "mvformer/lstp.h"

#include "gtest/gtest.h"

namespace repro::mvformer {
namespace {

TEST(LstpTest, CheapOrderEqualsTextbookOrder) {
  torch::manual_seed(0);
  LearnableSpatialTokenPooling lstp(LstpOptions(12, 3, 8));
  const torch::Tensor tokens = torch::randn({5, 16, 12});
  const auto [z, a] = lstp->forward(tokens);
  const auto [z_ref, a_ref] = lstp->forward_reference(tokens);
  ASSERT_EQ(z.sizes(), torch::IntArrayRef({5, 3, 8}));
  ASSERT_EQ(a.sizes(), torch::IntArrayRef({5, 3, 16}));
  EXPECT_TRUE(torch::allclose(z, z_ref, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(a, a_ref, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(a.sum(-1), torch::ones({5, 3}), 1e-5, 1e-6));
  // Gradients agree too (same function, different order of operations).
  torch::Tensor g1 = torch::autograd::grad({z.pow(2).sum()}, {lstp->queries}, {}, true)[0];
  torch::Tensor g2 = torch::autograd::grad({z_ref.pow(2).sum()}, {lstp->queries})[0];
  EXPECT_TRUE(torch::allclose(g1, g2, 1e-4, 1e-5));
}

TEST(LstpTest, SharedChannelsEqualConcatenation) {
  torch::manual_seed(4);
  LearnableSpatialTokenPooling lstp(LstpOptions(12, 3, 8));
  const torch::Tensor tokens = torch::randn({5, 16, 9}), shared = torch::randn({16, 3});
  const auto [z, a] = lstp->forward(tokens, shared);
  const auto [z_ref, a_ref] =
      lstp->forward_reference(torch::cat({tokens, shared.unsqueeze(0).expand({5, 16, 3})}, 2));
  EXPECT_TRUE(torch::allclose(z, z_ref, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(a, a_ref, 1e-5, 1e-6));
}

TEST(LstpTest, QueryPicksTheMatchingPatch) {
  // With W_K = identity-like and a query aligned with patch 2's features, patch 2 dominates.
  LearnableSpatialTokenPooling lstp(LstpOptions(4, 1, 4));
  torch::NoGradGuard no_grad;
  lstp->key->weight.copy_(torch::eye(4) * 10);
  lstp->key->bias.zero_();
  lstp->value->weight.copy_(torch::eye(4));
  lstp->value->bias.zero_();
  lstp->queries.copy_(torch::tensor({0.0f, 0.0f, 1.0f, 0.0f}).view({1, 4}));
  lstp->query_bias.zero_();
  const torch::Tensor tokens = torch::eye(4).unsqueeze(0);  // patch n = e_n
  const auto [z, a] = lstp->forward(tokens);
  EXPECT_EQ(a[0][0].argmax().item<int64_t>(), 2);
  EXPECT_GT(a[0][0][2].item<float>(), 0.9f);
  EXPECT_GT(z[0][0][2].item<float>(), 0.9f);  // Z = A V picks patch 2's value
}

}  // namespace
}  // namespace repro::mvformer
