// The MV-Former pipeline end to end on a tiny generated data set: features from a (random) frozen
// backbone, a few training steps of each front end, evaluation, and LSTP attention shares.
#include <thread>

#include "common/data/video/sprite_phase.h"
#include "common/data/video/test_sprites.h"
#include "gtest/gtest.h"
#include "mvformer/backbone.h"
#include "mvformer/evaluate.h"
#include "mvformer/features.h"
#include "mvformer/trainer.h"

namespace repro::mvformer {
namespace {

struct Fixture {
  VideoDataset data;
  std::unique_ptr<FrameBackbone> backbone;
  FeatureBank bank;
  FeatureOptions options;
};

Fixture& Shared() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    SpritePhaseOptions options;
    options.actions = {"fetch", "orbit"};
    options.train_per_action = 3;
    options.val_per_action = 2;
    f->data = *GenerateSpritePhase(options, testing::SquareSprites(1.0f), testing::SquareSprites(0.6f));
    torch::manual_seed(0);
    f->backbone = MakeSpriteCnnBackbone(SpriteCnn(), 8);
    f->options.augmented_copies = 2;
    f->options.seed = 3;
    f->bank = ExtractFeatureBank(*f->backbone, f->data, f->options);
    AddAugmentedCopies(*f->backbone, f->data, f->options, &f->bank);
    return f;
  }();
  return *fixture;
}

MvFormerOptions Options(FrontEnd front_end, int64_t entities, const FeatureBank& bank, const ChannelRange& channels) {
  return MvFormerOptions(front_end)
      .entities(entities)
      .token_channels(channels.size())
      .cls_channels(bank.cls_channels)
      .fc_dim(32)
      .hidden_dim(16)
      .heads(2)
      .ff_dim(32)
      .embedding_dim(8)
      .projection_dim(8);
}

MvFormerTrainOptions Train(uint64_t seed) {
  MvFormerTrainOptions options;
  options.steps = 3;
  options.batch_videos = 2;
  options.num_frames = 12;
  options.seed = seed;
  return options;
}

TEST(PipelineTest, FeatureBankHasCleanAndAugmentedCopies) {
  const Fixture& f = Shared();
  ASSERT_EQ(f.bank.train.size(), f.data.train.size());
  ASSERT_EQ(f.bank.train[0].size(), 3u);
  EXPECT_EQ(f.bank.train[0][0].tokens.sizes(),
            torch::IntArrayRef({f.data.train[0].length(), 64, 192}));
  EXPECT_EQ(f.bank.train[0][0].tokens.scalar_type(), torch::kHalf);
  EXPECT_FALSE(torch::equal(f.bank.train[0][0].cls, f.bank.train[0][1].cls));  // augmented differs
  // Clean features are the backbone's features of the frames.
  const FrameFeatures direct = f.backbone->Extract(f.data.val[1].frames.to(torch::kFloat32) / 255.0);
  EXPECT_TRUE(torch::allclose(f.bank.val[1].cls, direct.cls, 1e-5, 1e-6));
  EXPECT_EQ(LastLayer(f.bank).begin, 128);
  EXPECT_EQ(AllLayers(f.bank).size(), 192);
}

TEST(PipelineTest, EveryFrontEndTrainsAndEvaluates) {
  Fixture& f = Shared();
  for (const auto& [front, e] : std::vector<std::pair<FrontEnd, int64_t>>{
           {FrontEnd::kLstp, 3}, {FrontEnd::kLateCls, 1}, {FrontEnd::kLateMax, 1}, {FrontEnd::kFwb, 3}}) {
    const ChannelRange channels = AllLayers(f.bank);
    torch::manual_seed(1);
    MvFormer model(Options(front, e, f.bank, channels));
    const auto report = TrainMvFormer(model, f.bank, channels, Train(1));
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_GT(report->frames_per_second, 0);
    EXPECT_TRUE(std::isfinite(report->final_loss));
    VideoMetricsOptions metrics;
    metrics.ks = {1, 3};
    const VideoMetrics m = EvaluateModel(model, f.bank, f.data, channels, 12, 4, metrics);
    EXPECT_GE(m.classification, 0.0);
    EXPECT_LE(m.classification, 1.0);
    EXPECT_TRUE(std::isfinite(m.progression));
    EXPECT_EQ(m.per_action.size(), 2u);
  }
}

TEST(PipelineTest, TrainingIsDeterministic) {
  Fixture& f = Shared();
  const ChannelRange channels = LastLayer(f.bank);
  double losses[2];
  for (int run = 0; run < 2; ++run) {
    torch::manual_seed(5);
    MvFormer model(Options(FrontEnd::kLstp, 3, f.bank, channels));
    losses[run] = TrainMvFormer(model, f.bank, channels, Train(9))->final_loss;
  }
  EXPECT_EQ(losses[0], losses[1]);
}

TEST(PipelineTest, ConcurrentRunsMatchSequentialRuns) {
  // Two runs on two threads at once (one intra-op thread each) give exactly what they give alone:
  // every random draw comes from the run's own generators.
  Fixture& f = Shared();
  const ChannelRange channels = AllLayers(f.bank);
  const int saved = at::get_num_threads();
  at::set_num_threads(1);
  auto make = [&](uint64_t seed) {
    torch::manual_seed(seed);
    return MvFormer(Options(FrontEnd::kLstp, 3, f.bank, channels));
  };
  double alone[2], together[2];
  for (int i = 0; i < 2; ++i) {
    MvFormer model = make(20 + i);
    alone[i] = TrainMvFormer(model, f.bank, channels, Train(30 + i))->final_loss;
  }
  MvFormer a = make(20), b = make(21);
  std::thread other([&] {
    at::set_num_threads(1);
    together[1] = TrainMvFormer(b, f.bank, channels, Train(31))->final_loss;
  });
  together[0] = TrainMvFormer(a, f.bank, channels, Train(30))->final_loss;
  other.join();
  at::set_num_threads(saved);
  EXPECT_EQ(alone[0], together[0]);
  EXPECT_EQ(alone[1], together[1]);
}

TEST(PipelineTest, EmbeddingsAreNormalisedAndIndependentOfBatching) {
  Fixture& f = Shared();
  const ChannelRange channels = AllLayers(f.bank);
  torch::manual_seed(2);
  MvFormer model(Options(FrontEnd::kLstp, 3, f.bank, channels));
  std::vector<const VideoFeatures*> videos;
  for (const auto& v : f.bank.val) videos.push_back(&v);
  const auto one = EmbedVideos(model, videos, channels, 12, 1);
  const auto all = EmbedVideos(model, videos, channels, 12, 4);
  for (size_t i = 0; i < videos.size(); ++i) {
    EXPECT_EQ(one[i].size(0), f.data.val[i].length());
    EXPECT_TRUE(torch::allclose(one[i].norm(2, 1), torch::ones({one[i].size(0)}), 1e-5, 1e-5));
    EXPECT_TRUE(torch::allclose(one[i], all[i], 1e-4, 1e-5)) << "padding leaked into video " << i;
  }
}

TEST(PipelineTest, AttentionSharesAreDistributions) {
  Fixture& f = Shared();
  const ChannelRange channels = AllLayers(f.bank);
  torch::manual_seed(3);
  MvFormer model(Options(FrontEnd::kLstp, 3, f.bank, channels));
  const AttentionShares shares = MeasureAttention(model, f.bank, f.data, channels);
  ASSERT_EQ(shares.mass.size(), 3u);
  for (const auto& m : shares.mass) EXPECT_NEAR(m[0] + m[1] + m[2] + m[3], 1.0, 1e-5);
  EXPECT_NEAR(shares.uniform[0] + shares.uniform[1] + shares.uniform[2] + shares.uniform[3], 1.0, 1e-6);
  EXPECT_GT(shares.uniform[kActor], 0.0);
  // A 16x16 sprite covers at most 4 of the 64 patches' area: 1/16.
  EXPECT_LE(shares.uniform[kActor], 1.0 / 16 + 1e-6);
}

TEST(PatchEntitySharesTest, AreaFractionsPerPatch) {
  torch::Tensor entities = torch::zeros({1, 16, 16}, torch::kUInt8);
  entities[0].slice(0, 0, 4).slice(1, 0, 2).fill_(kActor);  // half of patch (0, 0) of a 4x4 grid
  const torch::Tensor shares = PatchEntityShares(entities, 4, 4);
  ASSERT_EQ(shares.sizes(), torch::IntArrayRef({1, 4, 16}));
  EXPECT_FLOAT_EQ(shares[0][kActor][0].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(shares[0][kBackground][0].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(shares[0][kBackground][1].item<float>(), 1.0f);
}

}  // namespace
}  // namespace repro::mvformer
