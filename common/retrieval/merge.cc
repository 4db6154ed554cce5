#include "common/retrieval/merge.h"

#include <limits>

namespace repro {

RankedLists MergeRankedLists(const std::vector<RankedLists>& lists, int64_t k) {
  TORCH_CHECK(!lists.empty(), "MergeRankedLists: no lists to merge");
  TORCH_CHECK(k >= 0, "MergeRankedLists: k must be >= 0, got ", k);
  const int64_t num_queries = lists[0].num_queries();
  const int n = static_cast<int>(lists.size());
  std::vector<torch::Tensor> dist(n), ids(n);
  std::vector<const float*> dist_ptr(n);
  std::vector<const int64_t*> id_ptr(n);
  std::vector<int64_t> width(n);
  for (int l = 0; l < n; ++l) {
    const RankedLists& in = lists[l];
    TORCH_CHECK(in.distances.defined() && in.ids.defined() && in.distances.dim() == 2 &&
                    in.distances.sizes() == in.ids.sizes(),
                "MergeRankedLists: list ", l, " must hold distances and ids of equal shape [Q, k]");
    TORCH_CHECK(in.num_queries() == num_queries, "MergeRankedLists: list ", l, " has ",
                in.num_queries(), " queries, list 0 has ", num_queries);
    dist[l] = in.distances.to(torch::kCPU, torch::kFloat32).contiguous();
    ids[l] = in.ids.to(torch::kCPU, torch::kInt64).contiguous();
    dist_ptr[l] = dist[l].data_ptr<float>();
    id_ptr[l] = ids[l].data_ptr<int64_t>();
    width[l] = in.k();
  }

  RankedLists out;
  out.distances = torch::empty({num_queries, k});
  out.ids = torch::empty({num_queries, k}, torch::kInt64);
  float* out_dist = out.distances.data_ptr<float>();
  int64_t* out_id = out.ids.data_ptr<int64_t>();
  constexpr float kInf = std::numeric_limits<float>::infinity();

  at::parallel_for(0, num_queries, 64, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> head(n);
    for (int64_t q = begin; q < end; ++q) {
      std::fill(head.begin(), head.end(), 0);
      float* od = out_dist + q * k;
      int64_t* oi = out_id + q * k;
      for (int64_t j = 0; j < k; ++j) {
        // The smallest (distance, id) among the list heads; padding (-1) is exhausted.
        int best = -1;
        float best_d = kInf;
        int64_t best_id = 0;
        for (int l = 0; l < n; ++l) {
          if (head[l] >= width[l]) continue;
          const int64_t at = q * width[l] + head[l];
          const int64_t id = id_ptr[l][at];
          if (id == kNoId) continue;
          const float d = dist_ptr[l][at];
          if (best < 0 || d < best_d || (d == best_d && id < best_id)) {
            best = l;
            best_d = d;
            best_id = id;
          }
        }
        if (best < 0) {
          std::fill(od + j, od + k, kInf);
          std::fill(oi + j, oi + k, kNoId);
          break;
        }
        od[j] = best_d;
        oi[j] = best_id;
        ++head[best];
      }
    }
  });
  return out;
}

}  // namespace repro
