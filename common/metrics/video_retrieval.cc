#include "common/metrics/video_retrieval.h"

#include <algorithm>
#include <numeric>

namespace repro {

std::vector<double> FramePrecisionAtK(const std::vector<torch::Tensor>& embeddings,
                                      const std::vector<torch::Tensor>& phases, int64_t stride,
                                      const std::vector<int64_t>& ks) {
  TORCH_CHECK(stride >= 1, "FramePrecisionAtK: stride must be >= 1");
  TORCH_CHECK(embeddings.size() == phases.size() && embeddings.size() >= 2,
              "FramePrecisionAtK: need at least two videos, each with embeddings and phases");
  TORCH_CHECK(!ks.empty(), "FramePrecisionAtK: no k given");
  std::vector<torch::Tensor> strided, labels;
  std::vector<int64_t> offsets = {0};
  for (size_t i = 0; i < embeddings.size(); ++i) {
    TORCH_CHECK(embeddings[i].dim() == 2 && embeddings[i].size(0) == phases[i].size(0),
                "FramePrecisionAtK: video ", i, " has embeddings ", embeddings[i].sizes(), " but ",
                phases[i].size(0), " labels");
    strided.push_back(embeddings[i].to(torch::kFloat64).slice(0, 0, embeddings[i].size(0), stride));
    labels.push_back(phases[i].to(torch::kInt64).slice(0, 0, phases[i].size(0), stride));
    offsets.push_back(offsets.back() + strided.back().size(0));
  }
  const torch::Tensor all = torch::cat(strided);
  const torch::Tensor all_labels = torch::cat(labels).contiguous();
  const int64_t* label = all_labels.data_ptr<int64_t>();
  const torch::Tensor norms = all.pow(2).sum(1);
  const torch::Tensor distances =
      (norms.unsqueeze(1) + norms.unsqueeze(0) - 2 * all.matmul(all.t())).contiguous();
  const auto d = distances.accessor<double, 2>();
  const int64_t total = offsets.back();
  const int64_t max_k = *std::max_element(ks.begin(), ks.end());
  const int64_t videos = static_cast<int64_t>(strided.size());
  std::vector<double> sums(ks.size(), 0.0);
  std::vector<int64_t> candidates;
  for (int64_t q = 0; q < videos; ++q) {
    candidates.clear();
    for (int64_t s = 0; s < total; ++s) {
      if (s < offsets[q] || s >= offsets[q + 1]) candidates.push_back(s);
    }
    TORCH_CHECK(max_k <= static_cast<int64_t>(candidates.size()), "FramePrecisionAtK: k = ", max_k,
                " exceeds the ", candidates.size(), " candidate frames");
    std::vector<double> video_sums(ks.size(), 0.0);
    const int64_t frames = offsets[q + 1] - offsets[q];
    std::vector<int64_t> order(candidates.size());
    for (int64_t t = offsets[q]; t < offsets[q + 1]; ++t) {
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + max_k, order.end(),
                        [&](int64_t a, int64_t b) {
                          const double da = d[t][candidates[a]], db = d[t][candidates[b]];
                          return da < db || (da == db && a < b);
                        });
      for (size_t ki = 0; ki < ks.size(); ++ki) {
        int64_t hits = 0;
        for (int64_t r = 0; r < ks[ki]; ++r) hits += label[candidates[order[r]]] == label[t];
        video_sums[ki] += static_cast<double>(hits) / static_cast<double>(ks[ki]);
      }
    }
    for (size_t ki = 0; ki < ks.size(); ++ki) sums[ki] += video_sums[ki] / static_cast<double>(frames);
  }
  for (double& s : sums) s /= static_cast<double>(videos);
  return sums;
}

}  // namespace repro
