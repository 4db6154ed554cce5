// Tests of the sparse training loop on a tiny ResNet and a separable synthetic task: runs end to
// end for every method with the exact budget, learn the task, and repeat bit for bit.
#include "spartan/sparse_trainer.h"

#include "common/models/resnet.h"
#include "gtest/gtest.h"

namespace repro::spartan {
namespace {

// Two classes: a bright top half or a bright bottom half, plus noise.
LabeledImages Synthetic(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  LabeledImages data;
  data.labels = torch::randint(0, 2, {n}, torch::kLong);
  data.images = torch::rand({n, 1, 8, 8}) * 0.3;
  const torch::Tensor top = data.labels.eq(0).view({n, 1, 1, 1}).to(torch::kFloat);
  data.images.narrow(2, 0, 4).add_(top * 0.7);
  data.images.narrow(2, 4, 4).add_((1 - top) * 0.7);
  return data;
}

SparseTrainResult Train(Method method, double sparsity) {
  torch::manual_seed(1);
  ResNet net(ResNetOptions().in_channels(1).num_classes(2).widths({4, 8}).blocks_per_stage({1, 1}));
  TrainOptions o;
  o.epochs = 4;
  o.batch_size = 32;
  o.optimizer.lr = 0.05;
  o.optimizer.momentum = 0.9;
  o.seed = 3;
  SparsifierOptions s;
  s.method = method;
  s.target_sparsity = sparsity;
  s.beta_final = 10.0;
  s.rigl_update_every = 2;
  auto result = TrainSparse(*net, Synthetic(256, 1), Synthetic(128, 2), o, s, 64);
  EXPECT_TRUE(result.ok()) << result.status();
  return *result;
}

TEST(SparseTrainerTest, EveryMethodTrainsWithTheExactBudget) {
  for (Method method : {Method::kDense, Method::kMagnitude, Method::kDualAveraging,
                        Method::kSpartan, Method::kRigL}) {
    const SparseTrainResult r = Train(method, 0.5);
    EXPECT_EQ(r.steps, 32);
    EXPECT_GE(r.accuracy, 0.9) << MethodName(method);
    EXPECT_EQ(r.sparsity.masked_nonzeros, r.sparsity.budgeted_nonzeros) << MethodName(method);
    if (method != Method::kDense) {
      EXPECT_EQ(r.flips.size(), 32u);
      EXPECT_LE(std::abs(r.sparsity.sparsity_from_masks - 0.5), r.sparsity.target_granularity);
    }
  }
}

TEST(SparseTrainerTest, RunsRepeatBitForBit) {
  const SparseTrainResult a = Train(Method::kSpartan, 0.8);
  const SparseTrainResult b = Train(Method::kSpartan, 0.8);
  EXPECT_EQ(a.accuracy, b.accuracy);
  EXPECT_EQ(a.flips, b.flips);
  EXPECT_EQ(a.final_loss, b.final_loss);
}

}  // namespace
}  // namespace repro::spartan
