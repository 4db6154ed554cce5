// Training of ψ, MCL and BCT on tiny synthetic data: the losses go down, caching returns the same
// model, and a ψ checkpoint of the wrong dimensions is refused with a clear message.
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
