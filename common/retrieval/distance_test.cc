#include "common/retrieval/distance.h"

#include <cmath>

#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(DistanceTest, HandComputedValues) {
  torch::Tensor q = torch::tensor({1.0f, 0.0f}).view({1, 2});
  torch::Tensor g = torch::tensor({1.0f, 0.0f, 0.0f, 1.0f, 0.6f, 0.8f, 2.0f, 0.0f}).view({4, 2});
  // 1 - <q, g>: 0, 1, 0.4 and -1 (no re-normalisation: a norm-2 item gets a negative distance).
  torch::Tensor ip = PairwiseDistances(q, g, Distance::kOneMinusInnerProduct);
  EXPECT_TRUE(torch::allclose(ip, torch::tensor({0.0f, 1.0f, 0.4f, -1.0f}).view({1, 4})));
  // ||q - g||^2: 0, 2, 0.16 + 0.64 = 0.8, 1.
  torch::Tensor l2 = PairwiseDistances(q, g, Distance::kSquaredL2);
  EXPECT_TRUE(torch::allclose(l2, torch::tensor({0.0f, 2.0f, 0.8f, 1.0f}).view({1, 4})));
  // Cosine ignores norms: 0, 1, 0.4, 0.
  torch::Tensor cos = PairwiseDistances(q * 3, g, Distance::kCosine);
  EXPECT_TRUE(torch::allclose(cos, torch::tensor({0.0f, 1.0f, 0.4f, 0.0f}).view({1, 4})));
}

TEST(DistanceTest, MatchesDoubleLoopOnRandomData) {
  torch::manual_seed(3);
  torch::Tensor q = torch::randn({7, 5});
  torch::Tensor g = torch::randn({11, 5});
  for (Distance distance :
       {Distance::kOneMinusInnerProduct, Distance::kSquaredL2, Distance::kCosine}) {
    torch::Tensor d = PairwiseDistances(q, g, distance);
    ASSERT_EQ(d.sizes(), (std::vector<int64_t>{7, 11}));
    auto qa = q.accessor<float, 2>();
    auto ga = g.accessor<float, 2>();
    for (int i = 0; i < 7; ++i) {
      for (int j = 0; j < 11; ++j) {
        double ip = 0, qq = 0, gg = 0, l2 = 0;
        for (int c = 0; c < 5; ++c) {
          ip += double(qa[i][c]) * ga[j][c];
          qq += double(qa[i][c]) * qa[i][c];
          gg += double(ga[j][c]) * ga[j][c];
          l2 += std::pow(double(qa[i][c]) - ga[j][c], 2);
        }
        const double want = distance == Distance::kOneMinusInnerProduct ? 1 - ip
                            : distance == Distance::kSquaredL2
                                ? l2
                                : 1 - ip / std::sqrt(qq * gg);
        EXPECT_NEAR(d[i][j].item<float>(), want, 1e-4) << DistanceName(distance);
      }
    }
  }
}

TEST(DistanceTest, PrepareTruncatesToPrefixAndNormalisesForCosine) {
  torch::Tensor x = torch::tensor({3.0f, 4.0f, 100.0f, 0.0f, 0.0f, 7.0f}).view({2, 3});
  torch::Tensor t = PrepareEmbeddings(x.to(torch::kFloat64), 2, Distance::kOneMinusInnerProduct);
  EXPECT_EQ(t.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_TRUE(torch::equal(t, torch::tensor({3.0f, 4.0f, 0.0f, 0.0f}).view({2, 2})));
  // Normalised after truncation; a zero row stays zero.
  torch::Tensor c = PrepareEmbeddings(x, 2, Distance::kCosine);
  EXPECT_TRUE(torch::allclose(c, torch::tensor({0.6f, 0.8f, 0.0f, 0.0f}).view({2, 2})));
  EXPECT_THROW(PrepareEmbeddings(x, 4, Distance::kCosine), c10::Error);
}

TEST(DistanceTest, RejectsMismatchedDimensions) {
  EXPECT_THROW(PairwiseDistances(torch::zeros({2, 3}), torch::zeros({2, 4}), Distance::kSquaredL2),
               c10::Error);
}

}  // namespace
}  // namespace repro
