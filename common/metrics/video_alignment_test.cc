#include "common/metrics/video_alignment.h"

#include <cmath>

#include "gtest/gtest.h"

namespace repro {
namespace {

// Values checked by hand (and equal to scipy.stats.kendalltau's tau-b).
TEST(KendallTauBTest, HandCheckedValues) {
  // 7 concordant, 3 discordant pairs of 10.
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 3, 4, 5}, {3, 1, 2, 5, 4}), 0.4);
  // Ties in y only: C = 4, D = 0, n0 = 6, n2 = 2: 4 / sqrt(6 * 4).
  EXPECT_NEAR(KendallTauB({0, 1, 2, 3}, {0, 0, 1, 1}), 0.8164965809277261, 1e-12);
  // A tie in x and a tie in y: 4 / sqrt(5 * 5).
  EXPECT_DOUBLE_EQ(KendallTauB({1, 1, 2, 3}, {1, 2, 2, 3}), 0.8);
  EXPECT_DOUBLE_EQ(KendallTauB({0, 1, 2}, {2, 1, 0}), -1.0);
  EXPECT_TRUE(std::isnan(KendallTauB({0, 1, 2}, {4, 4, 4})));
  EXPECT_TRUE(std::isnan(KendallTauB({0}, {1})));
}

torch::Tensor Line(std::vector<float> values) {
  return torch::tensor(values).view({-1, 1});
}

TEST(AlignmentKendallTauTest, OrderedPairsAndUndefinedPairsSkipped) {
  const torch::Tensor a = Line({0, 1, 2, 3}), b = Line({0, 1, 2, 3}), c = Line({3, 2, 1, 0});
  EXPECT_DOUBLE_EQ(AlignmentKendallTau({a, b}, 1), 1.0);
  // Pairs: a-b, b-a: +1; a-c, c-a, b-c, c-b: -1.
  EXPECT_NEAR(AlignmentKendallTau({a, b, c}, 1), -1.0 / 3.0, 1e-12);
  // A constant video matches everything to one frame (and is matched to its first frame): its
  // pairs have no tau and are skipped.
  const torch::Tensor constant = Line({5, 5, 5, 5});
  EXPECT_NEAR(AlignmentKendallTau({a, b, c, constant}, 1), -1.0 / 3.0, 1e-12);
  // Stride 2 keeps frames 0 and 2.
  const torch::Tensor d = Line({0, 9, 1, 9}), e = Line({1, -9, 0, -9});
  EXPECT_DOUBLE_EQ(AlignmentKendallTau({d, e}, 2), -1.0);
  EXPECT_TRUE(std::isnan(AlignmentKendallTau({a}, 1)));
}

TEST(AlignmentKendallTauTest, UnevenLengthsUseSquaredEuclideanNearestNeighbour) {
  // u = [0, 1, 2], v = [0.1, 5, 1.9, 1.1]: nn = [0, 3, 2] -> tau_b(0..2, [0, 3, 2]) = 1/3.
  // v -> u: nn = [0, 2, 2, 1] -> pairs: (0,1)C (0,2)C (0,3)C (1,2)tie (1,3)D (2,3)D: (3-2)/sqrt(6*5).
  const double expected = (1.0 / 3.0 + 1.0 / std::sqrt(30.0)) / 2.0;
  EXPECT_NEAR(AlignmentKendallTau({Line({0, 1, 2}), Line({0.1f, 5, 1.9f, 1.1f})}, 1), expected, 1e-9);
}

}  // namespace
}  // namespace repro
