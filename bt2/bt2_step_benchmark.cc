// What the basis transformations cost in a BT² training step (issue 3: under 10% of a step).
// One Adam step at the cpu-scale shapes (batch 128, Fashion-MNIST images, d_new = d_old = 32,
// k = 8), for the MLP trunk (arg 0, the cheapest trunk, so the worst case for the BTs' share)
// and the CNN trunk (arg 1):
//   BM_Bt2Step             the full BT² step (forward, the §2.3 loss, backward, Adam)
//   BM_Bt2StepLinearMaps   the same with unconstrained Linear maps in place of the BTs
//   BM_IndependentStep     φ'_new's step (same trunk, 32-d, CE only)
//   BM_BasisTransformsOnly forward + backward of R1 and R2 alone (matrix exponentials included)
// BasisTransformsOnly / Bt2Step is the BTs' share of a step.
//
//   flock /tmp/repro-heavy.lock ./bazelw run //bt2:bt2_step_benchmark
// Threads: all hardware threads, or BT2_THREADS=<n> from the environment.
#include <cstdlib>

#include "benchmark/benchmark.h"
#include "bt2/losses.h"
#include "bt2/models.h"
#include "common/port/threads.h"

namespace repro::bt2 {
namespace {

constexpr int64_t kBatch = 128;

void UseThreads() {
  const char* threads = std::getenv("BT2_THREADS");
  SetThreads(threads != nullptr ? std::atoi(threads) : 0);
}

Trunk MakeTrunk(int64_t kind) {
  Trunk trunk;
  if (kind == 0) {
    trunk.mutable_mlp()->add_hidden_sizes(256);
    trunk.mutable_mlp()->add_hidden_sizes(128);
  } else {
    for (int64_t c : {16, 32, 64}) trunk.mutable_cnn()->add_channels(c);
  }
  trunk.set_last_relu(true);
  return trunk;
}

Bt2ModelOptions Options(int64_t kind, bool orthogonal) {
  Bt2ModelOptions o;
  o.trunk = MakeTrunk(kind);
  o.input = InputShape{1, 28, 28};
  o.new_dim = 32;
  o.old_dim = 32;
  o.extra_dims = 8;
  o.norm_c = 2.0;
  o.num_classes = 10;
  o.orthogonal = orthogonal;
  return o;
}

struct Inputs {
  torch::Tensor images = torch::randn({kBatch, 1, 28, 28});
  torch::Tensor labels = torch::randint(0, 10, {kBatch}, torch::kInt64);
  torch::Tensor new_targets = torch::nn::functional::normalize(
      torch::randn({kBatch, 32}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  torch::Tensor old_targets = torch::nn::functional::normalize(
      torch::randn({kBatch, 32}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  torch::Tensor pseudo_classifier = torch::randn({10, 32}) * 0.1;
};

void Bt2Step(benchmark::State& state, bool orthogonal) {
  UseThreads();
  torch::manual_seed(0);
  Bt2Model model(Options(state.range(0), orthogonal));
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  const Inputs in;
  for (auto _ : state) {
    adam.zero_grad();
    const Bt2Output out = model->forward(in.images);
    Bt2Loss(out, in.labels, in.new_targets, in.old_targets, in.pseudo_classifier, {})
        .total.backward();
    adam.step();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_Bt2Step(benchmark::State& state) { Bt2Step(state, true); }
void BM_Bt2StepLinearMaps(benchmark::State& state) { Bt2Step(state, false); }

void BM_IndependentStep(benchmark::State& state) {
  UseThreads();
  torch::manual_seed(0);
  NormalizedClassifier model(MakeTrunk(state.range(0)), InputShape{1, 28, 28}, 32, 10);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  const Inputs in;
  for (auto _ : state) {
    adam.zero_grad();
    CrossEntropy(model->forward(in.images).logits, in.labels, 0.1).backward();
    adam.step();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// R1 on C·f and R2 on z[:d_old], forward and backward, as inside one BT² step.
void BM_BasisTransformsOnly(benchmark::State& state) {
  UseThreads();
  torch::manual_seed(0);
  SquareMap r1(32, true), r2(32, true);
  const torch::Tensor f = torch::randn({kBatch, 32}, torch::requires_grad());
  const torch::Tensor z = torch::randn({kBatch, 32}, torch::requires_grad());
  for (auto _ : state) {
    (r1->forward(2.0 * f).sum() + r2->forward(z).sum()).backward();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

BENCHMARK(BM_Bt2Step)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Bt2StepLinearMaps)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IndependentStep)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BasisTransformsOnly)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace repro::bt2
