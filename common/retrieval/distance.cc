#include "common/retrieval/distance.h"

namespace repro {

std::string_view DistanceName(Distance distance) {
  switch (distance) {
    case Distance::kOneMinusInnerProduct:
      return "one_minus_inner_product";
    case Distance::kSquaredL2:
      return "squared_l2";
    case Distance::kCosine:
      return "cosine";
  }
  return "unknown";
}

torch::Tensor PrepareEmbeddings(const torch::Tensor& embeddings, int64_t dim, Distance distance) {
  TORCH_CHECK(embeddings.dim() == 2, "embeddings must be [N, D], got ", embeddings.sizes());
  TORCH_CHECK(embeddings.is_floating_point(), "embeddings must be floating point, got ",
              embeddings.scalar_type());
  TORCH_CHECK(dim >= 0 && dim <= embeddings.size(1), "cannot take ", dim,
              " dimensions of embeddings with ", embeddings.size(1));
  torch::Tensor x = embeddings.narrow(1, 0, dim).to(torch::kCPU, torch::kFloat32);
  if (distance == Distance::kCosine) {
    // x / max(|x|, eps): rows of norm 0 stay 0 instead of becoming NaN.
    x = x / x.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
  }
  return x.contiguous();
}

torch::Tensor PairwiseDistances(const torch::Tensor& queries, const torch::Tensor& gallery,
                                Distance distance) {
  TORCH_CHECK(queries.dim() == 2 && gallery.dim() == 2, "queries and gallery must be [N, D], got ",
              queries.sizes(), " and ", gallery.sizes());
  TORCH_CHECK(queries.size(1) == gallery.size(1), "queries have ", queries.size(1),
              " dimensions and the gallery ", gallery.size(1),
              "; truncate both to a common prefix with PrepareEmbeddings");
  torch::Tensor q = queries.to(torch::kCPU, torch::kFloat32);
  torch::Tensor g = gallery.to(torch::kCPU, torch::kFloat32);
  switch (distance) {
    case Distance::kCosine:
      q = PrepareEmbeddings(q, q.size(1), Distance::kCosine);
      g = PrepareEmbeddings(g, g.size(1), Distance::kCosine);
      [[fallthrough]];
    case Distance::kOneMinusInnerProduct:
      // 1 - <q, g> in one fused op: addmm(1, q, g^T, beta=1, alpha=-1).
      return torch::addmm(torch::ones({1, 1}), q, g.t(), /*beta=*/1, /*alpha=*/-1);
    case Distance::kSquaredL2: {
      torch::Tensor qn = q.pow(2).sum(1, /*keepdim=*/true);  // [Q, 1]
      torch::Tensor gn = g.pow(2).sum(1).unsqueeze(0);       // [1, G]
      return torch::addmm(gn, q, g.t(), /*beta=*/1, /*alpha=*/-2).add_(qn).clamp_min_(0);
    }
  }
  TORCH_CHECK(false, "unknown distance");
}

}  // namespace repro
