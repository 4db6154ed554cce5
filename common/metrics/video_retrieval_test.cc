#include "common/metrics/video_retrieval.h"

#include "gtest/gtest.h"

namespace repro {
namespace {

torch::Tensor Column(std::vector<float> values) { return torch::tensor(values).view({-1, 1}); }
torch::Tensor Labels(std::vector<int64_t> values) { return torch::tensor(values, torch::kInt64); }

TEST(FramePrecisionAtKTest, HandCheckedThreeVideos) {
  // Worked by hand: P@1 per video 1, 1, 0.5; P@2 per video 0.75, 0.75, 0.5 (ties go to the
  // earlier candidate).
  const std::vector<double> p = FramePrecisionAtK(
      {Column({0, 10}), Column({1, 11}), Column({2, 9})},
      {Labels({0, 1}), Labels({0, 1}), Labels({1, 1})}, /*stride=*/1, {1, 2});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_NEAR(p[0], 2.5 / 3.0, 1e-12);
  EXPECT_NEAR(p[1], 2.0 / 3.0, 1e-12);
}

TEST(FramePrecisionAtKTest, OwnVideoIsNeverACandidate) {
  // Each video's own frames would be the perfect matches; other videos carry the wrong label.
  const std::vector<double> p = FramePrecisionAtK(
      {Column({0, 0}), Column({0.5f, 0.5f})}, {Labels({0, 0}), Labels({1, 1})}, 1, {1, 2});
  EXPECT_DOUBLE_EQ(p[0], 0.0);
  EXPECT_DOUBLE_EQ(p[1], 0.0);
}

TEST(FramePrecisionAtKTest, StrideAppliesToQueriesAndCandidates) {
  // With stride 2 only frames 0 and 2 count; frame 1 (label 1) would otherwise spoil the match.
  const std::vector<double> p =
      FramePrecisionAtK({Column({0, 0.1f, 5}), Column({0, 0.1f, 5})},
                        {Labels({0, 1, 2}), Labels({0, 1, 2})}, /*stride=*/2, {1});
  EXPECT_DOUBLE_EQ(p[0], 1.0);
}

}  // namespace
}  // namespace repro
