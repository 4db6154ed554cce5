// One online-backfilling step at scale (backfill.md §8.4, issue 4 "Speed and scale"): a synthetic
// gallery of N items of dimension 128, half of them backfilled, 1,000 queries encoded in both
// spaces; the two exact FAISS searches (k = 100) and the merge of their ranked lists. The counters
// give the seconds of the two searches, of the merge, and the merge's share of the searches.
//
//   ./bazelw run //common/retrieval:merge_benchmark -- --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <chrono>

#include "common/port/threads.h"
#include "common/retrieval/embedding_index.h"
#include "common/retrieval/merge.h"

namespace repro {
namespace {

constexpr int64_t kDim = 128;
constexpr int64_t kQueries = 1000;
constexpr int64_t kTopK = 100;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void BM_BackfillStepSearchAndMerge(benchmark::State& state) {
  SetThreads(0);
  const int64_t n = state.range(0);
  torch::manual_seed(0);
  torch::Tensor backfilled = torch::rand({n}) < 0.5;
  torch::Tensor ids = torch::arange(n, torch::kInt64);
  torch::Tensor in_old = ids.masked_select(~backfilled), in_new = ids.masked_select(backfilled);
  EmbeddingIndex old_index(kDim, Distance::kSquaredL2), new_index(kDim, Distance::kSquaredL2);
  // Unit-norm embeddings, as the papers' models produce; each part only in its own space.
  auto unit = [](int64_t rows) { return torch::nn::functional::normalize(torch::randn({rows, kDim})); };
  if (!old_index.Add(in_old, unit(in_old.numel())).ok() ||
      !new_index.Add(in_new, unit(in_new.numel())).ok()) {
    state.SkipWithError("building the indexes failed");
    return;
  }
  torch::Tensor old_queries = unit(kQueries), new_queries = unit(kQueries);

  double search_s = 0, merge_s = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    RankedLists old_top = old_index.Search(old_queries, kTopK);
    RankedLists new_top = new_index.Search(new_queries, kTopK);
    search_s += Seconds(t0);
    auto t1 = std::chrono::steady_clock::now();
    RankedLists merged = MergeRankedLists({old_top, new_top}, kTopK);
    merge_s += Seconds(t1);
    benchmark::DoNotOptimize(merged.ids.data_ptr<int64_t>());
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["search_s"] = search_s / iters;
  state.counters["merge_s"] = merge_s / iters;
  state.counters["merge_pct_of_search"] = 100.0 * merge_s / search_s;
  state.counters["items"] = static_cast<double>(n);
}
BENCHMARK(BM_BackfillStepSearchAndMerge)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

}  // namespace
}  // namespace repro
