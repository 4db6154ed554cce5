#include "common/train/checkpoint.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/train/optimizer.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

torch::nn::Sequential MakeNet(int64_t hidden = 4) {
  return torch::nn::Sequential(torch::nn::Linear(3, hidden), torch::nn::BatchNorm1d(hidden),
                               torch::nn::Linear(hidden, 2));
}

std::unique_ptr<torch::optim::Optimizer> Sgd(torch::nn::Module& net) {
  OptimizerOptions o;
  o.momentum = 0.9;
  return MakeOptimizer(net, o);
}

void TrainSteps(torch::nn::Sequential& net, torch::optim::Optimizer& optimizer, int steps) {
  for (int i = 0; i < steps; ++i) {
    optimizer.zero_grad();
    net->forward(torch::randn({8, 3})).pow(2).mean().backward();
    optimizer.step();
  }
}

void ExpectSameState(const torch::nn::Module& a, const torch::nn::Module& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  const auto ba = a.named_buffers(), bb = b.named_buffers();
  for (const auto& item : ba) EXPECT_TRUE(torch::equal(item.value(), bb[item.key()])) << item.key();
}

TEST(CheckpointTest, RoundTripRestoresModelOptimizerRngAndMetadata) {
  const std::string path = TempDir("roundtrip") + "/sub/ckpt.pt";  // parent folder is created
  torch::manual_seed(0);
  torch::nn::Sequential net = MakeNet();
  auto optimizer = Sgd(*net);
  TrainSteps(net, *optimizer, 3);
  CheckpointState state;
  state.step = 3;
  state.loss = 0.625;
  state.config_text = "model: resnet\nseed: 1\n";
  ASSERT_TRUE(SaveCheckpoint(path, *net, optimizer.get(), state).ok());
  EXPECT_FALSE(fs::exists(path + ".tmp." + std::to_string(getpid())));

  // The uninterrupted continuation.
  const torch::Tensor next_random = torch::randn({4});
  TrainSteps(net, *optimizer, 2);

  // A fresh model and optimizer restored from the file continue identically.
  torch::manual_seed(123);
  torch::nn::Sequential restored = MakeNet();
  auto restored_optimizer = Sgd(*restored);
  const auto loaded = LoadCheckpoint(path, *restored, restored_optimizer.get());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->step, 3);
  EXPECT_EQ(loaded->loss, 0.625);
  EXPECT_EQ(loaded->config_text, state.config_text);
  EXPECT_TRUE(torch::equal(torch::randn({4}), next_random));  // RNG state restored
  TrainSteps(restored, *restored_optimizer, 2);
  ExpectSameState(*net, *restored);  // includes momentum: it would differ without it
}

TEST(CheckpointTest, MissingFileIsNotFound) {
  torch::nn::Sequential net = MakeNet();
  const auto loaded = LoadCheckpoint(TempDir("missing") + "/nothing.pt", *net, nullptr);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(loaded.status().message().find("nothing.pt"), std::string::npos);
}

TEST(CheckpointTest, CorruptFilesAreDataLoss) {
  const std::string dir = TempDir("corrupt");
  torch::nn::Sequential net = MakeNet();
  {
    std::ofstream(dir + "/garbage.pt") << "this is not a checkpoint";
  }
  auto loaded = LoadCheckpoint(dir + "/garbage.pt", *net, nullptr);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss) << loaded.status();
  EXPECT_NE(loaded.status().message().find("garbage.pt"), std::string::npos);

  // A real checkpoint cut in half.
  ASSERT_TRUE(SaveCheckpoint(dir + "/full.pt", *net, nullptr, {}).ok());
  const auto size = fs::file_size(dir + "/full.pt");
  fs::copy_file(dir + "/full.pt", dir + "/half.pt");
  fs::resize_file(dir + "/half.pt", size / 2);
  const torch::Tensor before = net->parameters()[0].clone();
  loaded = LoadCheckpoint(dir + "/half.pt", *net, nullptr);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss) << loaded.status();
  EXPECT_TRUE(torch::equal(net->parameters()[0], before));
}

TEST(CheckpointTest, ShapeMismatchNamesTheTensorAndLeavesModelUntouched) {
  const std::string path = TempDir("mismatch") + "/ckpt.pt";
  torch::nn::Sequential small = MakeNet(4);
  ASSERT_TRUE(SaveCheckpoint(path, *small, nullptr, {}).ok());
  torch::nn::Sequential big = MakeNet(5);
  const torch::Tensor before = big->parameters()[0].clone();
  const auto loaded = LoadCheckpoint(path, *big, nullptr);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(loaded.status().message().find("'0.weight' has shape [4, 3]"), std::string::npos)
      << loaded.status();
  EXPECT_TRUE(torch::equal(big->parameters()[0], before));

  // A model-only checkpoint cannot resume an optimizer.
  auto optimizer = Sgd(*small);
  EXPECT_EQ(LoadCheckpoint(path, *small, optimizer.get()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CheckpointTest, UnwritableFolderIsAnError) {
  torch::nn::Sequential net = MakeNet();
  const absl::Status status = SaveCheckpoint("/proc/no/such/place/ckpt.pt", *net, nullptr, {});
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/proc/no/such/place/ckpt.pt"), std::string::npos);
}

TEST(CheckpointTest, OverwriteReplacesAtomically) {
  const std::string dir = TempDir("overwrite");
  const std::string path = dir + "/ckpt.pt";
  torch::nn::Sequential net = MakeNet();
  CheckpointState state;
  state.step = 1;
  ASSERT_TRUE(SaveCheckpoint(path, *net, nullptr, state).ok());
  state.step = 2;
  ASSERT_TRUE(SaveCheckpoint(path, *net, nullptr, state).ok());
  EXPECT_EQ(LoadCheckpoint(path, *net, nullptr)->step, 2);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);  // no temp files left behind
}

}  // namespace
}  // namespace repro
