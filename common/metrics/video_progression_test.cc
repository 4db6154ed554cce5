#include "common/metrics/video_progression.h"

#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(ProgressionTargetsTest, DistanceToLastFrameOfEachPhaseOverLength) {
  const torch::Tensor targets = ProgressionTargets(torch::tensor({0, 0, 1, 1, 1, 2}), 3);
  const torch::Tensor expected =
      torch::tensor({-1.0, -4.0, 0.0, -3.0, 1.0, -2.0, 2.0, -1.0, 3.0, 0.0, 4.0, 1.0}, torch::kFloat64)
          .view({6, 2}) /
      6.0;
  EXPECT_TRUE(torch::allclose(targets, expected)) << targets;
}

TEST(ProgressionTargetsTest, MissingPhaseFails) {
  EXPECT_THROW(ProgressionTargets(torch::tensor({0, 0, 2, 2}), 3), c10::Error);
}

torch::Tensor Column(std::vector<float> values) { return torch::tensor(values).view({-1, 1}); }

TEST(PhaseProgressionR2Test, HandCheckedValue) {
  // Train: phases [0 0 1 1], x = t: fit y = (t - 1) / 4 exactly. Val: phases [0 1 1 1] with target
  // t / 4 and prediction (t - 1) / 4: SS_res = 4 * 1/16, SS_tot = 0.3125, R^2 = 0.2.
  const double r2 = PhaseProgressionR2({Column({0, 1, 2, 3})}, {torch::tensor({0, 0, 1, 1})},
                                       {Column({0, 1, 2, 3})}, {torch::tensor({0, 1, 1, 1})}, 2);
  EXPECT_NEAR(r2, 0.2, 1e-9);
}

TEST(PhaseProgressionR2Test, PerfectEmbeddingScoresOne) {
  // Embedding = the targets themselves: every boundary is predicted exactly.
  std::vector<torch::Tensor> x, p;
  for (const auto& phases : {std::vector<int64_t>{0, 0, 1, 2, 2}, std::vector<int64_t>{0, 1, 1, 1, 2, 2}}) {
    const torch::Tensor labels = torch::tensor(phases);
    p.push_back(labels);
    x.push_back(ProgressionTargets(labels, 3).to(torch::kFloat32));
  }
  EXPECT_NEAR(PhaseProgressionR2(x, p, x, p, 3), 1.0, 1e-9);
}

}  // namespace
}  // namespace repro
