// Speed of the soft top-k op: forward + implicit backward over 1,000,000 entries (the issue's
// target: under 20 ms on the 2 cores of the build machine), and the pieces on their own.
//
//   flock /tmp/repro-heavy.lock ./bazelw run //common/kernels:soft_topk_benchmark
#include "benchmark/benchmark.h"
#include "common/kernels/soft_topk.h"
#include "common/port/threads.h"

namespace repro {
namespace {

constexpr int64_t kEntries = 1000000;

SoftTopKOptions SpecOptions() {
  SoftTopKOptions o;  // tol 0.01, at most 100 iterations (the spec's defaults)
  o.beta = 20.0;
  return o;
}

void BM_SoftTopKForwardBackward(benchmark::State& state) {
  SetThreads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  const torch::Tensor weights = torch::randn({kEntries}) * 0.05;
  const torch::Tensor upstream = torch::randn({kEntries});
  SoftTopKStats stats;
  for (auto _ : state) {
    torch::Tensor v = weights.abs().requires_grad_(true);
    torch::Tensor m = SoftTopK(v, {}, 0.1 * kEntries, SpecOptions(), &stats);
    m.backward(upstream);
    benchmark::DoNotOptimize(v.grad().data_ptr<float>());
  }
  state.counters["iterations"] = stats.iterations;
}
BENCHMARK(BM_SoftTopKForwardBackward)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_SoftTopKForwardBackwardCosts(benchmark::State& state) {
  SetThreads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  const torch::Tensor costs = torch::randint(1, 64, {kEntries}).to(torch::kFloat);
  const torch::Tensor values = (torch::randn({kEntries}) * 0.05).abs() * costs;
  const torch::Tensor upstream = torch::randn({kEntries});
  const double budget = 0.1 * costs.sum().item<double>();
  for (auto _ : state) {
    torch::Tensor v = values.clone().requires_grad_(true);
    SoftTopK(v, costs, budget, SpecOptions()).backward(upstream);
    benchmark::DoNotOptimize(v.grad().data_ptr<float>());
  }
}
BENCHMARK(BM_SoftTopKForwardBackwardCosts)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_HardTopKMask(benchmark::State& state) {
  SetThreads(static_cast<int>(state.range(0)));
  const torch::Tensor v = torch::randn({kEntries}).abs();
  for (auto _ : state) benchmark::DoNotOptimize(HardTopKMask(v, {}, 0.1 * kEntries).data_ptr());
}
BENCHMARK(BM_HardTopKMask)->Arg(2)->Unit(benchmark::kMillisecond);

// What a sort-based threshold would cost, for comparison with the radix select.
void BM_TorchTopKReference(benchmark::State& state) {
  SetThreads(static_cast<int>(state.range(0)));
  const torch::Tensor v = torch::randn({kEntries}).abs();
  for (auto _ : state) benchmark::DoNotOptimize(std::get<0>(v.topk(kEntries / 10)).data_ptr());
}
BENCHMARK(BM_TorchTopKReference)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace repro

BENCHMARK_MAIN();
