// Training throughput of the small ResNet the cpu-scale tables use (one basic block per stage,
// widths 16/32/64, 28x28x1 inputs, 10 classes) at batch 128 on all cores:
//   BM_TrainClassifier: end to end through TrainClassifier (batch iterator + random crop/flip +
//     forward + backward + SGD Nesterov step + schedule + loss readout), items/s = images/s;
//   BM_BareStep: forward + backward + SGD step on one fixed batch (the LibTorch floor).
//
// The /threads:0 rows use all cores (the figure to quote); /threads:1 shows the per-core rate.
//   ./bazelw run //common/train:train_step_benchmark -- --benchmark_repetitions=5
#include <cstdint>

#include "benchmark/benchmark.h"
#include "common/data/labeled_images.h"
#include "common/models/resnet.h"
#include "common/port/threads.h"
#include "common/port/torch.h"
#include "common/train/classifier_trainer.h"
#include "common/train/optimizer.h"

namespace repro {
namespace {

constexpr int64_t kBatch = 128;
constexpr int64_t kStepsPerIteration = 10;

ResNet SmallResNet() {
  torch::manual_seed(0);
  return ResNet(ResNetOptions().in_channels(1).num_classes(10).widths({16, 32, 64}).blocks_per_stage(
      {1, 1, 1}));
}

LabeledImages RandomImages(int64_t n) {
  LabeledImages data;
  data.images = torch::rand({n, 1, 28, 28});
  data.labels = torch::randint(0, 10, {n}, torch::kLong);
  return data;
}

OptimizerOptions Sgd() {
  OptimizerOptions o;
  o.lr = 0.05;
  o.momentum = 0.9;
  o.nesterov = true;
  o.weight_decay = 5e-4;
  return o;
}

// state.range(0): intra-op threads (0 = all cores).
void BM_TrainClassifier(benchmark::State& state) {
  const int threads = SetThreads(static_cast<int>(state.range(0)));
  const LabeledImages data = RandomImages(60000);  // Fashion-MNIST's size
  ResNet net = SmallResNet();
  TrainOptions o;
  o.steps = kStepsPerIteration;
  o.batch_size = kBatch;
  o.optimizer = Sgd();
  o.augment.crop_padding = 2;
  o.augment.horizontal_flip = true;
  // Warm-up outside the timing (allocator, oneDNN primitive caches).
  o.steps = 3;
  if (!TrainClassifier(*net, data, o).ok()) state.SkipWithError("warm-up failed");
  o.steps = kStepsPerIteration;
  int64_t seed = 1;
  for (auto _ : state) {
    o.seed = static_cast<uint64_t>(seed++);
    const auto report = TrainClassifier(*net, data, o);
    if (!report.ok()) {
      state.SkipWithError(std::string(report.status().message()).c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * kStepsPerIteration * kBatch);
  state.counters["threads"] = threads;
}
BENCHMARK(BM_TrainClassifier)
    ->ArgName("threads")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(3.0);

void BM_BareStep(benchmark::State& state) {
  const int threads = SetThreads(static_cast<int>(state.range(0)));
  ResNet net = SmallResNet();
  net->train();
  auto optimizer = MakeOptimizer(*net, Sgd());
  const LabeledImages batch = RandomImages(kBatch);
  const auto step = [&] {
    net->zero_grad(/*set_to_none=*/true);
    const torch::Tensor loss =
        torch::nn::functional::cross_entropy(net->forward(batch.images), batch.labels);
    loss.backward();
    optimizer->step();
    return loss.item<float>();
  };
  for (int i = 0; i < 3; ++i) step();  // warm-up
  for (auto _ : state) {
    benchmark::DoNotOptimize(step());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["threads"] = threads;
}
BENCHMARK(BM_BareStep)
    ->ArgName("threads")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(3.0);

}  // namespace
}  // namespace repro
