#include "common/train/classifier_trainer.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include "common/models/mlp.h"
#include "common/models/resnet.h"
#include "common/port/threads.h"
#include "common/train/batch_iterator.h"
#include "common/train/checkpoint.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

namespace fs = std::filesystem;

std::string TempPath(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / "trainer";
  fs::create_directories(dir);
  fs::remove(dir / name);
  return (dir / name).string();
}

// A learnable toy set: class c in {0..3} brightens quadrant c of an 8x8 image with noise.
LabeledImages QuadrantData(int64_t n, uint64_t seed) {
  torch::Generator g = at::detail::createCPUGenerator(seed);
  LabeledImages data;
  data.labels = torch::randint(0, 4, {n}, g, torch::kLong);
  data.images = torch::rand({n, 1, 8, 8}, g) * 0.3;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = data.labels[i].item<int64_t>();
    data.images[i].narrow(1, (c / 2) * 4, 4).narrow(2, (c % 2) * 4, 4).add_(0.7);
  }
  return data;
}

ResNet TinyResNet(uint64_t seed) {
  torch::manual_seed(seed);
  return ResNet(ResNetOptions().in_channels(1).num_classes(4).widths({4, 8}).blocks_per_stage({1, 1}));
}

MLP DropoutMlp(uint64_t seed) {
  torch::manual_seed(seed);
  return MLP(MLPOptions().in_features(64).hidden_sizes({16}).num_classes(4).batch_norm(true).dropout(0.3));
}

TrainOptions SmallRun() {
  TrainOptions o;
  o.steps = 8;
  o.batch_size = 16;
  o.optimizer.lr = 0.05;
  o.optimizer.momentum = 0.9;
  o.optimizer.nesterov = true;
  o.optimizer.weight_decay = 5e-4;
  o.warmup_steps = 2;
  o.augment.crop_padding = 1;
  o.augment.horizontal_flip = true;
  o.seed = 3;
  o.config_text = "toy config";
  return o;
}

void ExpectBitIdentical(const torch::nn::Module& a, const torch::nn::Module& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  for (const auto& item : pa) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  const auto ba = a.named_buffers(), bb = b.named_buffers();
  for (const auto& item : ba) EXPECT_TRUE(torch::equal(item.value(), bb[item.key()])) << item.key();
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override { SetThreads(2); }
};

TEST_F(TrainerTest, SameSeedAndThreadsGiveBitIdenticalParameters) {
  const LabeledImages data = QuadrantData(64, 1);
  ResNet a = TinyResNet(7), b = TinyResNet(7);
  const auto ra = TrainClassifier(*a, data, SmallRun());
  const auto rb = TrainClassifier(*b, data, SmallRun());
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->steps, 8);
  EXPECT_EQ(ra->final_loss, rb->final_loss);
  ExpectBitIdentical(*a, *b);
  // A different seed trains differently (from the same init).
  ResNet c = TinyResNet(7);
  TrainOptions other = SmallRun();
  other.seed = 4;
  ASSERT_TRUE(TrainClassifier(*c, data, other).ok());
  EXPECT_FALSE(torch::equal(a->parameters()[0], c->parameters()[0]));
}

TEST_F(TrainerTest, KilledRunResumesBitIdentical) {
  const LabeledImages data = QuadrantData(40, 2);  // 2 batches of 16 per epoch (drop_last)
  TrainOptions o = SmallRun();
  o.steps = 10;

  // Uninterrupted, no checkpoints.
  MLP reference = DropoutMlp(5);
  const auto full = TrainClassifier(*reference, data, o);
  ASSERT_TRUE(full.ok()) << full.status();

  // Killed after 5 steps, with a checkpoint every 5 steps.
  o.checkpoint_path = TempPath("resume.ckpt");
  o.checkpoint_every_steps = 5;
  o.stop_at_step = 5;
  MLP first = DropoutMlp(5);
  const auto killed = TrainClassifier(*first, data, o);
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(killed->steps, 5);
  // The fresh process: a new model (different init) resumes from the file.
  o.stop_at_step = -1;
  MLP second = DropoutMlp(99);
  const auto resumed = TrainClassifier(*second, data, o);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->resumed_from_step, 5);
  EXPECT_EQ(resumed->steps, 10);
  EXPECT_EQ(resumed->final_loss, full->final_loss);
  ExpectBitIdentical(*reference, *second);

  // A finished run reruns as a no-op that reports the stored result.
  MLP third = DropoutMlp(100);
  const auto again = TrainClassifier(*third, data, o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->resumed_from_step, 10);
  EXPECT_EQ(again->final_loss, full->final_loss);
  ExpectBitIdentical(*reference, *third);

  // Another config's checkpoint is refused.
  o.config_text = "another config";
  const auto refused = TrainClassifier(*third, data, o);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(TrainerTest, NanLossStopsWithStepAndKeepsLastCheckpoint) {
  LabeledImages data = QuadrantData(64, 3);
  TrainOptions o = SmallRun();
  o.steps = 12;
  o.checkpoint_path = TempPath("nan.ckpt");
  o.checkpoint_every_steps = 2;
  // Poison one image of the batch of step 3 (each epoch has 4 batches, so steps 0-2 are clean):
  // the run must stop at step 3 and keep the checkpoint of step 2.
  BatchIteratorOptions bo;
  bo.batch_size = o.batch_size;
  bo.drop_last = true;
  bo.seed = o.seed;
  BatchIterator batches(data, bo);
  const int64_t bad_step = 3;
  const int64_t poisoned = batches.AtStep(bad_step).indices[5].item<int64_t>();
  data.images[poisoned][0][3][3] = std::numeric_limits<float>::quiet_NaN();
  o.augment.crop_padding = 0;  // keep the NaN pixel inside the crop

  ResNet net = TinyResNet(1);
  const auto report = TrainClassifier(*net, data, o);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kAborted);
  const std::string message(report.status().message());
  EXPECT_NE(message.find("loss is NaN at step " + std::to_string(bad_step)), std::string::npos)
      << message;
  EXPECT_NE(message.find("last good checkpoint kept at " + o.checkpoint_path + " (step 2)"),
            std::string::npos)
      << message;
  ResNet probe = TinyResNet(2);
  const auto state = LoadCheckpoint(o.checkpoint_path, *probe, nullptr);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->step, 2);
  EXPECT_TRUE(std::isfinite(state->loss));
}

TEST_F(TrainerTest, LearnsToyTaskAndEvaluates) {
  const LabeledImages train = QuadrantData(256, 4), test = QuadrantData(128, 5);
  ResNet net = TinyResNet(3);
  TrainOptions o = SmallRun();
  o.steps = 0;
  o.epochs = 3;
  o.batch_size = 32;
  o.augment = AugmentOptions();
  o.augment.normalize.mean = {0.3};
  o.augment.normalize.std = {0.3};
  const auto report = TrainClassifier(*net, train, o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->steps, 24);
  EXPECT_GT(report->samples_per_second, 0);
  net->train();
  const double accuracy = Evaluate(*net, test, 50, o.augment.normalize);
  EXPECT_GT(accuracy, 0.9);
  EXPECT_TRUE(net->is_training());  // mode restored
  // Evaluate agrees with a direct count over Predict.
  const torch::Tensor logits = Predict(*net, test.images, 1000, o.augment.normalize);
  EXPECT_EQ(logits.sizes(), torch::IntArrayRef({128, 4}));
  EXPECT_DOUBLE_EQ(accuracy, logits.argmax(1).eq(test.labels).to(torch::kDouble).mean().item<double>());
  // Batched embedding equals the one-shot embedding.
  const torch::Tensor f = Embed(*net, test.images, 7, o.augment.normalize);
  EXPECT_EQ(f.sizes(), torch::IntArrayRef({128, 8}));
  net->eval();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(f, net->features(Normalize(test.images, o.augment.normalize)),
                              1e-5, 1e-6));
}

TEST_F(TrainerTest, RejectsBadOptions) {
  const LabeledImages data = QuadrantData(16, 6);
  ResNet net = TinyResNet(0);
  TrainOptions o = SmallRun();
  o.batch_size = 0;
  EXPECT_EQ(TrainClassifier(*net, data, o).status().code(), absl::StatusCode::kInvalidArgument);
  o = SmallRun();
  o.checkpoint_path = TempPath("corrupt.ckpt");
  { std::FILE* f = std::fopen(o.checkpoint_path.c_str(), "w"); std::fputs("junk", f); std::fclose(f); }
  EXPECT_EQ(TrainClassifier(*net, data, o).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace repro
