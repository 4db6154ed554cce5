// Training of ψ, MCL and BCT on tiny synthetic data: the losses go down, caching returns the same
// model, a ψ checkpoint of the wrong dimensions is refused with a clear message, and the MCL
// variants train what training.h says (separate = old-only without ρ, not with ρ).
#include "backfill/training.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/models/mlp.h"
#include "common/train/checkpoint.h"
#include "gtest/gtest.h"

namespace repro::backfill {
namespace {

std::string TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The old space is a fixed random linear map of the new one (plus noise), both normalised.
EmbeddingPairs MakePairs(int64_t n) {
  torch::manual_seed(7);
  EmbeddingPairs p;
  p.labels = torch::arange(n, torch::kInt64) % 4;
  const torch::Tensor centers = torch::randn({4, 16});
  const torch::Tensor x = centers.index_select(0, p.labels) + 0.3 * torch::randn({n, 16});
  const torch::Tensor map = torch::randn({16, 8});
  namespace F = torch::nn::functional;
  p.new_embeddings = F::normalize(x, F::NormalizeFuncOptions().dim(1));
  p.old_embeddings = F::normalize(x.matmul(map), F::NormalizeFuncOptions().dim(1));
  return p;
}

Psi PsiSpec() {
  Psi spec;
  spec.add_hidden(32);
  spec.set_epochs(30);
  spec.set_batch_size(64);
  spec.set_lr(3e-3);
  return spec;
}

double MappingError(ReverseTransform psi, const EmbeddingPairs& p) {
  torch::NoGradGuard no_grad;
  psi->eval();
  return (psi->forward(p.new_embeddings) - p.old_embeddings).pow(2).sum(1).mean().item<double>();
}

TEST(TrainingTest, PsiLearnsTheMapAndIsCached) {
  const EmbeddingPairs pairs = MakePairs(512);
  const std::string dir = TempDir("psi_cache");
  ReverseTransform untrained(TransformOptions().in_dim(16).out_dim(8).hidden({32}));
  auto psi = TrainOrLoadPsi(PsiSpec(), pairs, true, 1, {dir, "psi", "key"}, "test.pbtxt");
  ASSERT_TRUE(psi.ok()) << psi.status();
  const double trained = MappingError(*psi, pairs);
  EXPECT_LT(trained, 0.5 * MappingError(untrained, pairs));
  // The second call loads the cached file: the same numbers.
  auto again = TrainOrLoadPsi(PsiSpec(), pairs, true, 1, {dir, "psi", "key"}, "test.pbtxt");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_DOUBLE_EQ(MappingError(*again, pairs), trained);
}

TEST(TrainingTest, PsiCheckpointOfWrongDimensionsIsRefused) {
  const EmbeddingPairs pairs = MakePairs(64);
  const std::string dir = TempDir("psi_wrong");
  // A ψ for 16 -> 4 instead of 16 -> 8.
  ReverseTransform wrong(TransformOptions().in_dim(16).out_dim(4).hidden({32}));
  const std::string path = dir + "/wrong_psi.pt";
  ASSERT_TRUE(SaveCheckpoint(path, *wrong, nullptr, {}).ok());
  Psi spec = PsiSpec();
  spec.set_checkpoint(path);
  auto psi = TrainOrLoadPsi(spec, pairs, true, 1, {"", "psi", "key"}, "cfg.pbtxt");
  ASSERT_FALSE(psi.ok());
  const std::string message(psi.status().message());
  EXPECT_NE(message.find("wrong_psi.pt"), std::string::npos) << message;
  EXPECT_NE(message.find("16-d embedding to the old model's 8-d"), std::string::npos) << message;
  EXPECT_NE(message.find("psi.checkpoint"), std::string::npos) << message;
}

TEST(TrainingTest, MclFineTuningKeepsTheMapAndTrainsRho) {
  const EmbeddingPairs pairs = MakePairs(512);
  auto rt = TrainOrLoadPsi(PsiSpec(), pairs, true, 1, {"", "psi", "k"}, "t.pbtxt");
  ASSERT_TRUE(rt.ok());
  Mcl spec;
  spec.set_temperature(0.1);
  spec.set_weight(1);
  spec.set_epochs(3);
  spec.set_batch_size(64);
  spec.set_lr(1e-3);
  NewEmbeddingSpec rho_spec;
  rho_spec.add_hidden(16);
  auto models = TrainOrLoadMcl(spec, MclVariant::kJoint, &rho_spec, *rt, pairs, true, 1,
                               {"", "mcl", "k"});
  ASSERT_TRUE(models.ok()) << models.status();
  ASSERT_TRUE(models->rho);
  // The RT solution it started from is untouched, and the fine-tuned map is still a good one.
  EXPECT_LT(MappingError(models->psi, pairs), 0.5);
  torch::NoGradGuard no_grad;
  const torch::Tensor moved = models->rho->forward(pairs.new_embeddings);
  EXPECT_GT((moved - pairs.new_embeddings).abs().max().item<double>(), 1e-4);
  EXPECT_NEAR(moved.norm(2, 1).mean().item<double>(), 1.0, 1e-5);
}

// Whether every parameter and buffer of `a` equals (bit for bit) that of `b`.
bool SameState(torch::nn::Module& a, torch::nn::Module& b) {
  auto b_params = b.named_parameters();
  for (const auto& p : a.named_parameters()) {
    if (!torch::equal(p.value(), b_params[p.key()])) return false;
  }
  auto b_buffers = b.named_buffers();
  for (const auto& x : a.named_buffers()) {
    if (!torch::equal(x.value(), b_buffers[x.key()])) return false;
  }
  return true;
}

// What the ablation variants train (training.h). Without ρ the new-space distances are between
// frozen embeddings, so 'separate' gives ψ the gradients of 'old-only': the same ψ, bit for bit.
// With ρ learnable, 'separate' trains ρ by its new-space softmax while 'old-only' leaves ρ at its
// identity start, so the two differ; their ψ stays the same (no term of 'separate' depends on
// both), and only 'joint' changes ψ through the shared softmax.
TEST(TrainingTest, SeparateDiffersFromOldOnlyOnlyWithLearnableRho) {
  const EmbeddingPairs pairs = MakePairs(256);
  auto rt = TrainOrLoadPsi(PsiSpec(), pairs, true, 1, {"", "psi", "k"}, "t.pbtxt");
  ASSERT_TRUE(rt.ok()) << rt.status();
  Mcl spec;
  spec.set_temperature(0.1);
  spec.set_weight(1);
  spec.set_epochs(1);
  spec.set_batch_size(64);  // 4 steps
  spec.set_lr(1e-2);
  NewEmbeddingSpec rho_spec;
  rho_spec.add_hidden(16);
  auto train = [&](MclVariant variant, bool with_rho) {
    auto models = TrainOrLoadMcl(spec, variant, with_rho ? &rho_spec : nullptr, *rt, pairs, true,
                                 1, {"", "mcl", "k"});
    EXPECT_TRUE(models.ok()) << models.status();
    return *models;
  };

  // Without ρ: separate == old-only exactly (and both moved ψ away from the RT start).
  MclModels old_only = train(MclVariant::kOldOnly, false);
  MclModels separate = train(MclVariant::kSeparate, false);
  EXPECT_TRUE(SameState(*old_only.psi, *separate.psi));
  EXPECT_FALSE(SameState(*old_only.psi, **rt));
  EXPECT_FALSE(SameState(*old_only.psi, *train(MclVariant::kJoint, false).psi));

  // With ρ: ρ differs (separate trained it, old-only left it the identity).
  MclModels old_only_rho = train(MclVariant::kOldOnly, true);
  MclModels separate_rho = train(MclVariant::kSeparate, true);
  MclModels joint_rho = train(MclVariant::kJoint, true);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = pairs.new_embeddings;
  const torch::Tensor by_old_only = old_only_rho.rho->forward(x);
  const torch::Tensor by_separate = separate_rho.rho->forward(x);
  EXPECT_LT((by_old_only - x).abs().max().item<double>(), 1e-6);
  EXPECT_GT((by_separate - by_old_only).abs().max().item<double>(), 1e-3);
  EXPECT_FALSE(SameState(*old_only_rho.rho, *separate_rho.rho));
  // ψ: separate's is old-only's (also old-only's without ρ); joint's differs from both.
  EXPECT_TRUE(SameState(*old_only_rho.psi, *separate_rho.psi));
  EXPECT_TRUE(SameState(*old_only_rho.psi, *old_only.psi));
  EXPECT_FALSE(SameState(*joint_rho.psi, *separate_rho.psi));
  EXPECT_FALSE(SameState(*joint_rho.rho, *separate_rho.rho));
}

TEST(TrainingTest, BackboneTrainingDataSelectsClassesAndFraction) {
  LabeledImages data;
  data.labels = torch::arange(100, torch::kInt64) % 10;
  data.images = torch::zeros({100, 1, 2, 2});
  Backbone spec;
  for (int c : {0, 1, 2}) spec.add_classes(c);
  spec.set_fraction(0.5);
  const LabeledImages sub = BackboneTrainingData(spec, data, 3);
  EXPECT_EQ(sub.size(), 15);
  EXPECT_LE(sub.labels.max().item<int64_t>(), 2);
}

}  // namespace
}  // namespace repro::backfill
