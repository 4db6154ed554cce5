#include "mvformer/model.h"

#include <cmath>

#include "gtest/gtest.h"

namespace repro::mvformer {
namespace {

FrameBatch RandomBatch(int64_t b, int64_t t, int64_t n = 16, int64_t c = 12, int64_t c_cls = 6) {
  FrameBatch batch;
  batch.tokens = torch::randn({b, t, n, c});
  batch.cls = torch::randn({b, t, c_cls});
  batch.positions = torch::arange(t, torch::kFloat32).unsqueeze(0).expand({b, t});
  batch.padding = torch::zeros({b, t}, torch::kBool);
  return batch;
}

MvFormerOptions Small(FrontEnd front_end, int64_t entities) {
  return MvFormerOptions(front_end)
      .entities(entities)
      .token_channels(12)
      .cls_channels(6)
      .grid_height(4)
      .grid_width(4)
      .position_dims(8)
      .pool_dim(8)
      .fc_dim(16)
      .hidden_dim(8)
      .encoder_layers(2)
      .heads(2)
      .ff_dim(16)
      .embedding_dim(5)
      .projection_dim(7);
}

TEST(MvFormerTest, EveryFrontEndGivesOneEmbeddingPerFrame) {
  torch::manual_seed(0);
  for (const auto& [front, e] : std::vector<std::pair<FrontEnd, int64_t>>{
           {FrontEnd::kLstp, 3}, {FrontEnd::kLstp, 1}, {FrontEnd::kFwb, 5}, {FrontEnd::kLateCls, 1},
           {FrontEnd::kLateAvg, 1}, {FrontEnd::kLateMax, 1}}) {
    MvFormer model(Small(front, e));
    const torch::Tensor out = model->forward(RandomBatch(2, 7));
    EXPECT_EQ(out.sizes(), torch::IntArrayRef({2, 7, 5}));
    EXPECT_EQ(model->project(out).sizes(), torch::IntArrayRef({2, 7, 5}));
  }
  EXPECT_THROW(MvFormer(Small(FrontEnd::kLateAvg, 3)), c10::Error);
}

TEST(MvFormerTest, PaddedFramesDoNotReachValidFrames) {
  torch::manual_seed(1);
  MvFormer model(Small(FrontEnd::kLstp, 3));
  model->eval();
  FrameBatch batch = RandomBatch(1, 6);
  batch.padding.slice(1, 4, 6).fill_(true);
  const torch::Tensor before = model->forward(batch);
  batch.tokens.slice(1, 4, 6).normal_();  // change only the padded frames
  const torch::Tensor after = model->forward(batch);
  EXPECT_TRUE(torch::allclose(before.slice(1, 0, 4), after.slice(1, 0, 4), 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(before.slice(1, 4, 6), after.slice(1, 4, 6)));
}

TEST(MvFormerTest, AttentionCrossesEntitiesAndFrames) {
  // Entity-major full attention: changing one frame's tokens changes the other frames' outputs.
  torch::manual_seed(2);
  MvFormer model(Small(FrontEnd::kLstp, 3));
  model->eval();
  FrameBatch batch = RandomBatch(1, 5);
  const torch::Tensor before = model->forward(batch);
  batch.tokens.slice(1, 4, 5).normal_();
  EXPECT_FALSE(torch::allclose(before.slice(1, 0, 1), model->forward(batch).slice(1, 0, 1)));
}

TEST(MvFormerTest, ReadOutOneVersusAverage) {
  torch::manual_seed(3);
  MvFormer one(Small(FrontEnd::kLstp, 3).read_out(ReadOut::kOne));
  torch::manual_seed(3);
  MvFormer avg(Small(FrontEnd::kLstp, 3).read_out(ReadOut::kAvg));
  one->eval();
  avg->eval();
  const FrameBatch batch = RandomBatch(1, 4);
  EXPECT_FALSE(torch::allclose(one->forward(batch), avg->forward(batch)));
}

TEST(MvFormerTest, TemporalCodeMatchesTheFormula) {
  const torch::Tensor pe = TemporalCode(torch::tensor({{0.0f, 1.0f, 2.5f}}), 6);
  ASSERT_EQ(pe.sizes(), torch::IntArrayRef({1, 3, 6}));
  for (int p = 0; p < 3; ++p) {
    const double pos = std::vector<double>{0.0, 1.0, 2.5}[p];
    for (int i = 0; i < 6; ++i) {
      const double angle = pos / std::pow(10000.0, i / 6.0);
      EXPECT_NEAR(pe[0][p][i].item<float>(), i % 2 == 0 ? std::sin(angle) : std::cos(angle), 1e-5);
    }
  }
}

TEST(MvFormerTest, GridPositionCodeIsDistinctPerPatch) {
  const torch::Tensor code = GridPositionCode(8, 8, 16);
  ASSERT_EQ(code.sizes(), torch::IntArrayRef({64, 16}));
  const torch::Tensor distance = torch::cdist(code, code);
  EXPECT_GT((distance + torch::eye(64) * 1e3).min().item<float>(), 1e-3);
  // Row and column halves: patches of one row share the first 8 dims.
  EXPECT_TRUE(torch::allclose(code[0].slice(0, 0, 8), code[7].slice(0, 0, 8)));
  EXPECT_TRUE(torch::allclose(code[0].slice(0, 8, 16), code[56].slice(0, 8, 16)));
}

}  // namespace
}  // namespace repro::mvformer
