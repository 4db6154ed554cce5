#include "common/data/video/sprite_phase.h"

#include <cmath>
#include <set>
#include <vector>

#include "common/data/video/test_sprites.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

using testing::SquareSprites;

SpritePhaseOptions SmallOptions(SpritePhaseVariant variant = SpritePhaseVariant::kRelational) {
  SpritePhaseOptions options;
  options.variant = variant;
  options.train_per_action = 4;
  options.val_per_action = 3;
  options.seed = 7;
  return options;
}

TEST(SpritePhaseTest, SameSeedSameData) {
  const auto a = GenerateSpritePhase(SmallOptions(), SquareSprites(1.0f), SquareSprites(0.5f));
  const auto b = GenerateSpritePhase(SmallOptions(), SquareSprites(1.0f), SquareSprites(0.5f));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(a->train.size(), 12u);
  ASSERT_EQ(a->val.size(), 9u);
  for (size_t i = 0; i < a->train.size(); ++i) {
    EXPECT_EQ(a->train[i].name, b->train[i].name);
    EXPECT_TRUE(torch::equal(a->train[i].frames, b->train[i].frames));
    EXPECT_TRUE(torch::equal(a->train[i].phases, b->train[i].phases));
    EXPECT_TRUE(torch::equal(a->train[i].entities, b->train[i].entities));
  }
  SpritePhaseOptions other = SmallOptions();
  other.seed = 8;
  const auto c = GenerateSpritePhase(other, SquareSprites(1.0f), SquareSprites(0.5f));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(torch::equal(a->train[0].frames.view(-1).slice(0, 0, 100),
                            c->train[0].frames.view(-1).slice(0, 0, 100)));
}

TEST(SpritePhaseTest, VideoDependsOnlyOnItsKey) {
  // The first 4 train videos of each action are the same whether 4 or 6 are generated.
  SpritePhaseOptions more = SmallOptions();
  more.train_per_action = 6;
  const auto a = GenerateSpritePhase(SmallOptions(), SquareSprites(1.0f), SquareSprites(0.5f));
  const auto b = GenerateSpritePhase(more, SquareSprites(1.0f), SquareSprites(0.5f));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->train[4].name, b->train[6].name);  // push_0000
  EXPECT_TRUE(torch::equal(a->train[4].frames, b->train[6].frames));
}

// The spread over videos of each phase boundary's normalised time t / (L - 1) (fetch, train split).
std::vector<double> BoundarySpread(bool random_phase_durations) {
  SpritePhaseOptions options = SmallOptions();
  options.actions = {"fetch"};
  options.train_per_action = 60;
  options.val_per_action = 1;
  options.random_phase_durations = random_phase_durations;
  const auto data = GenerateSpritePhase(options, SquareSprites(1.0f), SquareSprites(0.5f));
  EXPECT_TRUE(data.ok()) << data.status();
  std::vector<double> sum(4, 0), sum_sq(4, 0);
  for (const Video& video : data->train) {
    const auto phases = video.phases.accessor<int64_t, 1>();
    for (int64_t t = 1; t < video.length(); ++t) {
      if (phases[t] == phases[t - 1]) continue;
      const double u = static_cast<double>(t) / static_cast<double>(video.length() - 1);
      sum[phases[t]] += u;
      sum_sq[phases[t]] += u * u;
    }
  }
  std::vector<double> spread;
  const double n = static_cast<double>(data->train.size());
  for (int k = 1; k < 4; ++k) spread.push_back(std::sqrt(sum_sq[k] / n - (sum[k] / n) * (sum[k] / n)));
  return spread;
}

TEST(SpritePhaseTest, RandomPhaseDurationsDecoupleTimeFromPhase) {
  // With the spec's literal speeds every boundary sits at nearly the same t / L in every video, so
  // time alone gives the phase away; random per-phase durations spread each boundary much wider.
  const std::vector<double> spec = BoundarySpread(false), random = BoundarySpread(true);
  for (int k = 0; k < 3; ++k) {
    EXPECT_LT(spec[k], 0.1) << "boundary " << k + 1;
    EXPECT_GT(random[k], 0.12) << "boundary " << k + 1;
    EXPECT_GT(random[k], spec[k] + 0.03) << "boundary " << k + 1;
  }
}

TEST(SpritePhaseTest, LabelsAreOrderedCompletePhases) {
  const auto data = GenerateSpritePhase(SmallOptions(), SquareSprites(1.0f), SquareSprites(0.5f));
  ASSERT_TRUE(data.ok());
  ASSERT_EQ(data->actions.size(), 3u);
  EXPECT_EQ(data->actions[0].name, "fetch");
  EXPECT_EQ(data->actions[0].num_phases, 4);
  EXPECT_EQ(data->actions[1].num_phases, 3);
  for (const auto* split : {&data->train, &data->val}) {
    for (const Video& video : *split) {
      const int64_t length = video.length();
      EXPECT_GE(length, 40);
      EXPECT_LE(length, 96);
      ASSERT_EQ(video.frames.sizes(), torch::IntArrayRef({length, 1, 64, 64}));
      ASSERT_EQ(video.entities.sizes(), torch::IntArrayRef({length, 64, 64}));
      const auto phases = video.phases.accessor<int64_t, 1>();
      EXPECT_EQ(phases[0], 0) << video.name;
      EXPECT_EQ(phases[length - 1], data->actions[video.action].num_phases - 1) << video.name;
      for (int64_t t = 1; t < length; ++t) {
        // Phases never go back and never skip one.
        EXPECT_TRUE(phases[t] == phases[t - 1] || phases[t] == phases[t - 1] + 1) << video.name;
      }
      // The actor and the object are visible in every frame.
      for (int64_t t = 0; t < length; ++t) {
        EXPECT_GT(video.entities[t].eq(kActor).sum().item<int64_t>(), 0) << video.name << " t=" << t;
      }
    }
  }
}

TEST(SpritePhaseTest, ValVideosUseValSprites) {
  // Train sprites are bright (1.0 * U(0.7, 1)), val sprites dim (0.5 * U(0.7, 1)); the brightest
  // actor pixel tells them apart (edge pixels of the downsampled square are dimmer in both).
  const auto data = GenerateSpritePhase(SmallOptions(), SquareSprites(1.0f), SquareSprites(0.5f));
  ASSERT_TRUE(data.ok());
  for (const Video& video : data->train) {
    const torch::Tensor actor = video.frames.squeeze(1).masked_select(video.entities.eq(kActor));
    EXPECT_GE(actor.max().item<uint8_t>(), 170) << video.name;
  }
  for (const Video& video : data->val) {
    const torch::Tensor actor = video.frames.squeeze(1).masked_select(video.entities.eq(kActor));
    EXPECT_LE(actor.max().item<uint8_t>(), 140) << video.name;
  }
}

TEST(SpritePhaseTest, ControlHasNoDistractorsAndPhaseBrightness) {
  const auto relational =
      GenerateSpritePhase(SmallOptions(), SquareSprites(1.0f), SquareSprites(0.5f));
  const auto control = GenerateSpritePhase(SmallOptions(SpritePhaseVariant::kControl),
                                           SquareSprites(1.0f), SquareSprites(0.5f));
  ASSERT_TRUE(relational.ok() && control.ok());
  int64_t relational_distractor_pixels = 0;
  for (const Video& video : relational->train) {
    relational_distractor_pixels += video.entities.eq(kDistractor).sum().item<int64_t>();
  }
  EXPECT_GT(relational_distractor_pixels, 0);
  for (const Video& video : control->train) {
    EXPECT_EQ(video.entities.eq(kDistractor).sum().item<int64_t>(), 0);
    // Background brightness rises by 0.1 (25.5 grey levels) per phase.
    const torch::Tensor frames = video.frames.squeeze(1).to(torch::kFloat32);
    const torch::Tensor background = video.entities.eq(kBackground);
    std::vector<double> level;
    for (int64_t t = 0; t < video.length(); ++t) {
      level.push_back(frames[t].masked_select(background[t]).mean().item<double>());
    }
    const auto phases = video.phases.accessor<int64_t, 1>();
    EXPECT_NEAR(level.back() - level.front(), 25.5 * (phases[video.length() - 1] - phases[0]), 3.0)
        << video.name;
  }
}

TEST(SpritePhaseTest, BadOptionsAndPools) {
  SpritePhaseOptions options = SmallOptions();
  options.actions = {"fetch", "dance"};
  auto data = GenerateSpritePhase(options, SquareSprites(1.0f), SquareSprites(0.5f));
  EXPECT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("dance"), std::string::npos);
  options = SmallOptions();
  options.actions = {"fetch", "fetch"};
  EXPECT_FALSE(GenerateSpritePhase(options, SquareSprites(1.0f), SquareSprites(0.5f)).ok());
  LabeledImages no_tops = SquareSprites(1.0f);
  no_tops.labels.fill_(5);
  data = GenerateSpritePhase(SmallOptions(), no_tops, SquareSprites(0.5f));
  EXPECT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("class 0"), std::string::npos) << data.status();
  EXPECT_EQ(SpritePhaseNumPhases("fetch"), 4);
  EXPECT_EQ(SpritePhaseNumPhases("dance"), 0);
}

TEST(DownsampleToSpritesTest, AreaAverages) {
  // 32 -> 16 is an exact 2x2 average; a constant image stays constant at any ratio.
  const torch::Tensor image = torch::arange(32 * 32, torch::kFloat32).view({1, 1, 32, 32});
  const torch::Tensor sprite = DownsampleToSprites(image);
  ASSERT_EQ(sprite.sizes(), torch::IntArrayRef({1, 1, 16, 16}));
  EXPECT_FLOAT_EQ(sprite[0][0][0][0].item<float>(), (0 + 1 + 32 + 33) / 4.0f);
  EXPECT_TRUE(torch::allclose(DownsampleToSprites(torch::full({2, 1, 28, 28}, 0.25f)),
                              torch::full({2, 1, 16, 16}, 0.25f)));
}

}  // namespace
}  // namespace repro
