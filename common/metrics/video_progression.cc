#include "common/metrics/video_progression.h"

namespace repro {
namespace {

// [sum L_i, D] embeddings (with a column of ones appended) and [sum L_i, K - 1] targets.
std::pair<torch::Tensor, torch::Tensor> Stack(const std::vector<torch::Tensor>& embeddings,
                                              const std::vector<torch::Tensor>& phases,
                                              int64_t num_phases) {
  TORCH_CHECK(!embeddings.empty() && embeddings.size() == phases.size(),
              "PhaseProgressionR2: need as many phase tensors as embeddings, and at least one video");
  std::vector<torch::Tensor> xs, ys;
  for (size_t i = 0; i < embeddings.size(); ++i) {
    TORCH_CHECK(embeddings[i].dim() == 2 && embeddings[i].size(0) == phases[i].size(0),
                "PhaseProgressionR2: video ", i, " has embeddings ", embeddings[i].sizes(), " but ",
                phases[i].size(0), " phase labels");
    const torch::Tensor x = embeddings[i].to(torch::kFloat64);
    xs.push_back(torch::cat({x, torch::ones({x.size(0), 1}, torch::kFloat64)}, 1));
    ys.push_back(ProgressionTargets(phases[i], num_phases));
  }
  return {torch::cat(xs), torch::cat(ys)};
}

}  // namespace

torch::Tensor ProgressionTargets(const torch::Tensor& phases, int64_t num_phases) {
  TORCH_CHECK(phases.dim() == 1 && phases.size(0) > 0, "ProgressionTargets: expected [L], got ",
              phases.sizes());
  TORCH_CHECK(num_phases >= 2, "ProgressionTargets: need at least 2 phases");
  const torch::Tensor p = phases.to(torch::kInt64).contiguous();
  const int64_t length = p.size(0);
  const int64_t* data = p.data_ptr<int64_t>();
  torch::Tensor targets = torch::empty({length, num_phases - 1}, torch::kFloat64);
  auto out = targets.accessor<double, 2>();
  for (int64_t c = 0; c + 1 < num_phases; ++c) {
    int64_t last = -1;
    for (int64_t t = 0; t < length; ++t) {
      if (data[t] == c) last = t;
    }
    TORCH_CHECK(last >= 0, "ProgressionTargets: phase ", c,
                " never occurs; progression assumes every phase occurs in every video");
    for (int64_t t = 0; t < length; ++t) {
      out[t][c] = static_cast<double>(t - last) / static_cast<double>(length);
    }
  }
  return targets;
}

double PhaseProgressionR2(const std::vector<torch::Tensor>& train_embeddings,
                          const std::vector<torch::Tensor>& train_phases,
                          const std::vector<torch::Tensor>& val_embeddings,
                          const std::vector<torch::Tensor>& val_phases, int64_t num_phases) {
  const auto [train_x, train_y] = Stack(train_embeddings, train_phases, num_phases);
  const auto [val_x, val_y] = Stack(val_embeddings, val_phases, num_phases);
  // Least squares per target column (one lstsq solves all K - 1 at once).
  const torch::Tensor coefficients = std::get<0>(torch::linalg_lstsq(train_x, train_y, {}, "gelsd"));
  const torch::Tensor predicted = val_x.matmul(coefficients);
  const torch::Tensor residual = (val_y - predicted).pow(2).sum(0);
  const torch::Tensor total = (val_y - val_y.mean(0, /*keepdim=*/true)).pow(2).sum(0);
  return (1.0 - residual / total).mean().item<double>();
}

}  // namespace repro
