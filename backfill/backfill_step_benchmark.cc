// One online-backfilling step at scale through the two-index gallery (gallery.h; issue 4 "Speed
// and scale"): a synthetic gallery of N unit-norm items of dimension 128 with half of it already
// backfilled, 1,000 queries encoded in both spaces. Each iteration times
//   - move:   the next 10% of the gallery moves from the old index to the new one;
//   - search: the exact FAISS search of both parts (k = 100);
//   - merge:  the exact merge of the two ranked lists;
// and the counters report seconds per step and the merge's share of the two searches.
//
//   flock /tmp/repro-heavy.lock ./bazelw run //backfill:backfill_step_benchmark
#include <benchmark/benchmark.h>

#include <chrono>
#include <vector>

#include "backfill/gallery.h"
#include "common/port/threads.h"
#include "common/retrieval/merge.h"

namespace repro::backfill {
namespace {

constexpr int64_t kDim = 128;
constexpr int64_t kQueries = 1000;
constexpr int64_t kTopK = 100;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

torch::Tensor Unit(int64_t rows) {
  return torch::nn::functional::normalize(
      torch::randn({rows, kDim}), torch::nn::functional::NormalizeFuncOptions().dim(1));
}

void BM_BackfillStep(benchmark::State& state) {
  SetThreads(0);
  const int64_t n = state.range(0);
  torch::manual_seed(0);
  const torch::Tensor ids = torch::randperm(n, torch::kInt64);  // the backfill order
  auto gallery = BackfillGallery::Create(ids, Unit(n), kDim, Distance::kSquaredL2);
  if (!gallery.ok()) {
    state.SkipWithError("building the gallery failed");
    return;
  }
  // Half of the gallery is already backfilled.
  const int64_t half = n / 2;
  if (!gallery->Backfill(ids.slice(0, 0, half), Unit(half)).ok()) {
    state.SkipWithError("backfilling failed");
    return;
  }
  const torch::Tensor old_queries = Unit(kQueries), new_queries = Unit(kQueries);
  const int64_t step = n / 10;
  int64_t next = half;

  double move_s = 0, search_s = 0, merge_s = 0;
  for (auto _ : state) {
    if (next + step > n) {
      state.PauseTiming();
      state.SkipWithError("ran out of items to backfill; lower --benchmark_min_time");
      break;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const absl::Status moved =
        gallery->Backfill(ids.slice(0, next, next + step), Unit(step));
    move_s += Seconds(t0);
    if (!moved.ok()) {
      state.SkipWithError("backfill step failed");
      break;
    }
    next += step;
    const auto t1 = std::chrono::steady_clock::now();
    const std::vector<RankedLists> parts = gallery->SearchParts(old_queries, new_queries, kTopK);
    search_s += Seconds(t1);
    const auto t2 = std::chrono::steady_clock::now();
    const RankedLists merged = MergeRankedLists(parts, kTopK);
    merge_s += Seconds(t2);
    benchmark::DoNotOptimize(merged.ids.data_ptr<int64_t>());
  }
  const double iters = static_cast<double>(std::max<int64_t>(1, state.iterations()));
  state.counters["items"] = static_cast<double>(n);
  state.counters["move_s"] = move_s / iters;
  state.counters["search_s"] = search_s / iters;
  state.counters["merge_s"] = merge_s / iters;
  state.counters["search_merge_s"] = (search_s + merge_s) / iters;
  state.counters["merge_pct_of_search"] = search_s > 0 ? 100.0 * merge_s / search_s : 0.0;
}
// At most 4 iterations: each moves 10% of the gallery, starting from half backfilled.
BENCHMARK(BM_BackfillStep)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace repro::backfill
