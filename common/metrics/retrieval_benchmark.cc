// Speed of the retrieval metrics (issue 2, "Speed"): mAP over the full ranking and CMC top-1/5 for
// 10,000 queries against a 10,000-item gallery of dimension 128 (the FMNIST test set as query and
// gallery, leave-one-out), on all cores; the exact path and the FAISS path, and smaller sizes for
// the scaling.
//
//   ./bazelw run //common/metrics:retrieval_benchmark -- --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include "common/metrics/retrieval.h"
#include "common/port/threads.h"

namespace repro {
namespace {

void Run(benchmark::State& state, RetrievalBackend backend) {
  SetThreads(0);
  const int64_t n = state.range(0), dim = 128, classes = 10;
  torch::manual_seed(0);
  // Unit-norm embeddings around 10 class centres, as a trained model gives, noisy enough that the
  // rankings are far from perfect.
  torch::Tensor labels = torch::randint(0, classes, {n}, torch::kInt64);
  torch::Tensor x = torch::nn::functional::normalize(
      torch::randn({classes, dim}).index_select(0, labels) + 2.5 * torch::randn({n, dim}));
  RetrievalOptions options;
  options.ks = {1, 5};
  options.leave_one_out = true;
  options.backend = backend;
  double map = 0;
  for (auto _ : state) {
    RetrievalResult r = EvaluateRetrieval(x, labels, x, labels, options);
    map = r.mean_ap;  // read after the loop, so the evaluation cannot be optimised away
    benchmark::ClobberMemory();
  }
  state.counters["mAP"] = map;
  state.counters["threads"] = at::get_num_threads();
}

void BM_RetrievalExact(benchmark::State& state) { Run(state, RetrievalBackend::kExact); }
void BM_RetrievalFaiss(benchmark::State& state) { Run(state, RetrievalBackend::kFaiss); }

// Wall time, and CPU time of the whole process (all threads): on a shared machine the wall time
// depends on the load, CPU / threads is what an idle machine would approach.
BENCHMARK(BM_RetrievalExact)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK(BM_RetrievalFaiss)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

}  // namespace
}  // namespace repro
