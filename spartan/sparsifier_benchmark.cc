// Cost of the whole sparsification in a training step of the small ResNet of spartan_resnet
// (ResNet-S 8/16/32, strides 2/2/2, batch 128, Fashion-MNIST-sized input): a dense step, a step with
// each method's sparsifier, and the sparsifier's own work (mask update + the backward through the
// soft top-k and the masking) on its own. Target: Spartan's sparsification < 10% of a step.
//
//   flock /tmp/repro-heavy.lock ./bazelw run //spartan:sparsifier_benchmark -- --benchmark_counters_tabular=true
#include <memory>

#include "benchmark/benchmark.h"
#include "common/models/resnet.h"
#include "common/port/threads.h"
#include "spartan/sparsifier.h"

namespace repro::spartan {
namespace {

ResNet MakeNet() {
  torch::manual_seed(0);
  return ResNet(ResNetOptions().in_channels(1).num_classes(10).widths({8, 16, 32})
                    .blocks_per_stage({1, 1, 1}).strides({2, 2, 2}));
}

SparsifierOptions Options(Method method) {
  SparsifierOptions o;
  o.method = method;
  o.target_sparsity = 0.9;
  o.total_steps = 1000000;  // stay in the exploration phase
  o.warmup_frac = 0.0;
  o.finetune_frac = 0.0;
  return o;
}

// One training step (forward, backward, SGD) with `method`'s sparsifier; Method::kDense = none.
void BM_TrainStep(benchmark::State& state) {
  SetThreads(static_cast<int>(state.range(1)));
  const auto method = static_cast<Method>(state.range(0));
  ResNet net = MakeNet();
  auto sparsifier = Sparsifier::Create(*net, Options(method));
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  const torch::Tensor x = torch::rand({128, 1, 28, 28});
  const torch::Tensor y = torch::randint(0, 10, {128});
  int64_t step = 1;
  for (auto _ : state) {
    (*sparsifier)->BeginStep(step);
    opt.zero_grad();
    torch::nn::functional::cross_entropy(net->forward(x), y).backward();
    (*sparsifier)->AfterBackward(step);
    opt.step();
    ++step;
  }
  state.SetLabel(MethodName(method));
  state.counters["masked_weights"] = static_cast<double>((*sparsifier)->num_entries());
}
BENCHMARK(BM_TrainStep)
    ->ArgsProduct({{static_cast<int64_t>(Method::kDense), static_cast<int64_t>(Method::kMagnitude),
                    static_cast<int64_t>(Method::kDualAveraging),
                    static_cast<int64_t>(Method::kSpartan)},
                   {1, 2}})
    ->Unit(benchmark::kMillisecond);

// The sparsification alone: BeginStep (scores, soft top-k forward, hard top-k, W_eff) and the
// backward from W_eff to W (through the STE, the mask product and the soft top-k backward), with a
// fixed upstream gradient standing in for the network's.
void BM_SparsificationOnly(benchmark::State& state) {
  SetThreads(static_cast<int>(state.range(1)));
  const auto method = static_cast<Method>(state.range(0));
  ResNet net = MakeNet();
  auto sparsifier = Sparsifier::Create(*net, Options(method));
  std::vector<torch::Tensor*> members;
  for (const auto& item : net->named_modules()) {
    if (auto* conv = item.value()->as<torch::nn::Conv2d>()) members.push_back(&conv->weight);
    if (auto* linear = item.value()->as<torch::nn::Linear>()) members.push_back(&linear->weight);
  }
  std::vector<torch::Tensor> upstream;
  for (torch::Tensor* m : members) upstream.push_back(torch::randn_like(*m));
  int64_t step = 1;
  for (auto _ : state) {
    (*sparsifier)->BeginStep(step++);
    std::vector<torch::Tensor> outputs;
    for (torch::Tensor* m : members) outputs.push_back(*m);
    torch::autograd::backward(outputs, upstream);
  }
  state.SetLabel(MethodName(method));
}
BENCHMARK(BM_SparsificationOnly)
    ->ArgsProduct({{static_cast<int64_t>(Method::kMagnitude),
                    static_cast<int64_t>(Method::kDualAveraging),
                    static_cast<int64_t>(Method::kSpartan)},
                   {1, 2}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace repro::spartan

BENCHMARK_MAIN();
