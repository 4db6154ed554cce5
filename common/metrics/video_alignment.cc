#include "common/metrics/video_alignment.h"

#include <cmath>
#include <limits>

namespace repro {

double KendallTauB(const std::vector<double>& x, const std::vector<double>& y) {
  TORCH_CHECK(x.size() == y.size(), "KendallTauB: x and y differ in length (", x.size(), " vs ",
              y.size(), ")");
  const int64_t n = static_cast<int64_t>(x.size());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (n < 2) return nan;
  int64_t concordant = 0, discordant = 0, tied_x = 0, tied_y = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      const double dx = x[j] - x[i], dy = y[j] - y[i];
      if (dx == 0) ++tied_x;
      if (dy == 0) ++tied_y;
      if (dx == 0 || dy == 0) continue;
      if ((dx > 0) == (dy > 0)) {
        ++concordant;
      } else {
        ++discordant;
      }
    }
  }
  const double total = static_cast<double>(n) * static_cast<double>(n - 1) / 2.0;
  const double denominator = std::sqrt((total - tied_x) * (total - tied_y));
  if (denominator == 0) return nan;
  return static_cast<double>(concordant - discordant) / denominator;
}

double AlignmentKendallTau(const std::vector<torch::Tensor>& embeddings, int64_t stride) {
  TORCH_CHECK(stride >= 1, "AlignmentKendallTau: stride must be >= 1");
  std::vector<torch::Tensor> strided;
  std::vector<int64_t> offsets = {0};
  for (const torch::Tensor& e : embeddings) {
    TORCH_CHECK(e.dim() == 2, "AlignmentKendallTau: expected [L, D] per video, got ", e.sizes());
    strided.push_back(e.to(torch::kFloat64).slice(0, 0, e.size(0), stride));
    offsets.push_back(offsets.back() + strided.back().size(0));
  }
  if (strided.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  // All squared distances at once: ||a||^2 + ||b||^2 - 2 a.b.
  const torch::Tensor all = torch::cat(strided);
  const torch::Tensor norms = all.pow(2).sum(1);
  const torch::Tensor distances =
      (norms.unsqueeze(1) + norms.unsqueeze(0) - 2 * all.matmul(all.t())).contiguous();
  const auto d = distances.accessor<double, 2>();
  double sum = 0;
  int64_t defined = 0;
  const int64_t videos = static_cast<int64_t>(strided.size());
  for (int64_t u = 0; u < videos; ++u) {
    const int64_t n = offsets[u + 1] - offsets[u];
    std::vector<double> order(n), nn(n);
    for (int64_t t = 0; t < n; ++t) order[t] = static_cast<double>(t);
    for (int64_t v = 0; v < videos; ++v) {
      if (u == v) continue;
      for (int64_t t = 0; t < n; ++t) {
        int64_t best = offsets[v];
        for (int64_t s = offsets[v] + 1; s < offsets[v + 1]; ++s) {
          if (d[offsets[u] + t][s] < d[offsets[u] + t][best]) best = s;
        }
        nn[t] = static_cast<double>(best - offsets[v]);
      }
      const double tau = KendallTauB(order, nn);
      if (!std::isnan(tau)) {
        sum += tau;
        ++defined;
      }
    }
  }
  return defined > 0 ? sum / static_cast<double>(defined) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace repro
