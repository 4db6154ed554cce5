#include "common/metrics/video_metrics.h"

#include "common/metrics/video_alignment.h"
#include "common/metrics/video_progression.h"
#include "common/metrics/video_retrieval.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

// A video whose embedding is its progression targets plus a one-hot of the phase (a "perfect"
// representation), with optional unlabelled frames at the end.
VideoEmbedding Perfect(std::vector<int64_t> phases, int num_phases, int action, int unlabelled = 0) {
  const torch::Tensor labels = torch::tensor(phases);
  const torch::Tensor x = torch::cat({ProgressionTargets(labels, num_phases),
                                      torch::one_hot(labels, num_phases).to(torch::kFloat64)},
                                     1);
  VideoEmbedding v;
  v.embedding = torch::cat({x, torch::zeros({unlabelled, x.size(1)}, torch::kFloat64)}).to(torch::kFloat32);
  v.phases = torch::cat({labels, torch::full({unlabelled}, -1, torch::kInt64)});
  v.action = action;
  return v;
}

TEST(EvaluateVideoEmbeddingsTest, PerfectEmbeddingsAndUnlabelledFramesDropped) {
  std::vector<VideoEmbedding> train, val;
  for (int i = 0; i < 4; ++i) {
    std::vector<int64_t> phases;
    for (int p = 0; p < 3; ++p) phases.insert(phases.end(), 6 + i + 2 * p, p);
    train.push_back(Perfect(phases, 3, 0));
    val.push_back(Perfect(phases, 3, 0, /*unlabelled=*/3));
  }
  VideoMetricsOptions options;
  options.ks = {1, 3};
  const VideoMetrics m = EvaluateVideoEmbeddings(train, val, {3}, options);
  EXPECT_DOUBLE_EQ(m.classification, 1.0);
  EXPECT_NEAR(m.progression, 1.0, 1e-6);
  EXPECT_DOUBLE_EQ(m.precision_at_k[0], 1.0);
  EXPECT_DOUBLE_EQ(m.precision_at_k[1], 1.0);
  EXPECT_GT(m.kendall_tau, 0.9);
}

TEST(EvaluateVideoEmbeddingsTest, PerActionThenAveraged) {
  torch::manual_seed(3);
  std::vector<VideoEmbedding> train, val;
  for (int a = 0; a < 2; ++a) {
    for (int i = 0; i < 6; ++i) {
      VideoEmbedding v;
      const int length = 12 + i;
      v.phases = torch::cat({torch::zeros({length / 2}, torch::kInt64),
                             torch::ones({length - length / 2}, torch::kInt64)});
      v.embedding = torch::randn({length, 3}) + (a == 0 ? 1.0 : 0.2) * v.phases.unsqueeze(1).to(torch::kFloat32);
      v.action = a;
      (i < 3 ? train : val).push_back(v);
    }
  }
  const VideoMetrics m = EvaluateVideoEmbeddings(train, val, {2, 2});
  ASSERT_EQ(m.per_action.size(), 2u);
  for (int a = 0; a < 2; ++a) {
    std::vector<torch::Tensor> e, p;
    for (const VideoEmbedding& v : val) {
      if (v.action == a) {
        e.push_back(v.embedding);
        p.push_back(v.phases);
      }
    }
    EXPECT_DOUBLE_EQ(m.per_action[a].kendall_tau, AlignmentKendallTau(e, 2));
    EXPECT_DOUBLE_EQ(m.per_action[a].precision_at_k[1], FramePrecisionAtK(e, p, 2, {10})[0]);
  }
  EXPECT_DOUBLE_EQ(m.kendall_tau, (m.per_action[0].kendall_tau + m.per_action[1].kendall_tau) / 2);
  EXPECT_DOUBLE_EQ(m.classification,
                   (m.per_action[0].classification + m.per_action[1].classification) / 2);
  EXPECT_GT(m.per_action[0].classification, m.per_action[1].classification);
}

}  // namespace
}  // namespace repro
