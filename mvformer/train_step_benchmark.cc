// Throughput of the cpu-scale MV-Former pieces on all cores (or one, /threads:1):
//   BM_BackboneFeatures: the frozen SpriteCnn stand-in on 64x64 frames (feature precomputation),
//     items/s = frames/s;
//   BM_TrainStep/<front end>/<threads>: one SCL training step through TrainMvFormer on precomputed features
//     (batch 4 videos x 2 views x T = 32 frames: gather, LSTP or pooling, per-token head, temporal
//     transformer, projection, loss, backward, clipping, Adam), items/s = frames/s;
//   BM_Embed: evaluation embedding of whole 64-frame videos, 16 per pass, items/s = frames/s.
// The tables train one run per thread (TrainStep/x/1), two runs at a time on two cores.
//   ./bazelw run //mvformer:train_step_benchmark -- --benchmark_repetitions=3
#include <cstdint>

#include "benchmark/benchmark.h"
#include "common/port/threads.h"
#include "common/port/torch.h"
#include "mvformer/backbone.h"
#include "mvformer/evaluate.h"
#include "mvformer/features.h"
#include "mvformer/trainer.h"

namespace repro::mvformer {
namespace {

constexpr int64_t kVideos = 32, kLength = 64, kTokens = 64, kChannels = 192, kCls = 64;

// A feature bank of random features with the cpu-scale shapes (2 augmented copies).
FeatureBank RandomBank() {
  torch::manual_seed(0);
  FeatureBank bank;
  bank.grid_height = bank.grid_width = 8;
  bank.layer_channels = {64, 64, 64};
  bank.cls_channels = kCls;
  for (int64_t v = 0; v < kVideos; ++v) {
    std::vector<VideoFeatures> copies;
    for (int c = 0; c < 3; ++c) {
      copies.push_back({torch::rand({kLength, kTokens, kChannels}).to(torch::kHalf), torch::rand({kLength, kCls})});
    }
    bank.train.push_back(copies);
    bank.val.push_back(copies[0]);
  }
  return bank;
}

const FeatureBank& Bank() {
  static const FeatureBank* bank = new FeatureBank(RandomBank());
  return *bank;
}

MvFormerOptions CpuScale(FrontEnd front_end, int64_t entities) {
  return MvFormerOptions(front_end).entities(entities).token_channels(kChannels).cls_channels(kCls);
}

void BM_BackboneFeatures(benchmark::State& state) {
  SetThreads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  std::unique_ptr<FrameBackbone> backbone = MakeSpriteCnnBackbone(SpriteCnn(), 8);
  const torch::Tensor frames = torch::rand({256, 1, 64, 64});
  for (auto _ : state) benchmark::DoNotOptimize(backbone->Extract(frames).tokens.data_ptr());
  state.SetItemsProcessed(state.iterations() * frames.size(0));
}
BENCHMARK(BM_BackboneFeatures)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// state.range(0): front end (0 LSTP E=3, 1 late avg, 2 late CLS, 3 FWB E=3); range(1): threads.
void BM_TrainStep(benchmark::State& state) {
  SetThreads(static_cast<int>(state.range(1)));
  static const std::pair<FrontEnd, int64_t> kModels[] = {
      {FrontEnd::kLstp, 3}, {FrontEnd::kLateAvg, 1}, {FrontEnd::kLateCls, 1}, {FrontEnd::kFwb, 3}};
  const auto [front_end, entities] = kModels[state.range(0)];
  torch::manual_seed(0);
  MvFormer model(CpuScale(front_end, entities));
  MvFormerTrainOptions options;
  options.steps = 10;
  int64_t frames = 0;
  for (auto _ : state) {
    const auto report = TrainMvFormer(model, Bank(), AllLayers(Bank()), options);
    benchmark::DoNotOptimize(report->final_loss);
    frames += options.steps * 2 * options.batch_videos * options.num_frames;
  }
  state.SetItemsProcessed(frames);
}
BENCHMARK(BM_TrainStep)
    ->ArgsProduct({{0, 1, 2, 3}, {1}})
    ->Args({0, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Embed(benchmark::State& state) {
  SetThreads(0);
  torch::manual_seed(0);
  MvFormer model(CpuScale(FrontEnd::kLstp, 3));
  std::vector<const VideoFeatures*> videos;
  for (const VideoFeatures& v : Bank().val) videos.push_back(&v);
  for (auto _ : state) benchmark::DoNotOptimize(EmbedVideos(model, videos, AllLayers(Bank()), 32, 16).size());
  state.SetItemsProcessed(state.iterations() * kVideos * kLength);
}
BENCHMARK(BM_Embed)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace repro::mvformer
