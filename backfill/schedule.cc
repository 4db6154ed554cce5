#include "backfill/schedule.h"

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"

namespace repro::backfill {

std::string OrderPolicyName(OrderPolicy policy) {
  switch (policy) {
    case OrderPolicy::kRandom:
      return "random";
    case OrderPolicy::kIdOrder:
      return "id_order";
    case OrderPolicy::kExplicit:
      return "explicit";
  }
  return "unknown";
}

absl::Status CheckPermutation(const torch::Tensor& order, const torch::Tensor& ids) {
  if (!order.defined() || order.dim() != 1) {
    return absl::InvalidArgumentError("backfill order must be a 1-D list of gallery ids");
  }
  if (order.size(0) != ids.size(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("backfill order is not a permutation of the gallery: it has ", order.size(0),
                     " entries for ", ids.size(0), " gallery items"));
  }
  const torch::Tensor o = order.to(torch::kCPU, torch::kInt64).contiguous();
  const torch::Tensor g = ids.to(torch::kCPU, torch::kInt64).contiguous();
  std::unordered_set<int64_t> gallery(g.data_ptr<int64_t>(), g.data_ptr<int64_t>() + g.numel());
  std::unordered_set<int64_t> seen;
  const int64_t* p = o.data_ptr<int64_t>();
  for (int64_t i = 0; i < o.numel(); ++i) {
    if (!gallery.count(p[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "backfill order is not a permutation of the gallery: entry ", i, " is id ", p[i],
          ", which is not a gallery item"));
    }
    if (!seen.insert(p[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("backfill order is not a permutation of the gallery: id ", p[i],
                       " appears more than once (again at entry ", i, ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<torch::Tensor> MakeBackfillOrder(OrderPolicy policy, const torch::Tensor& ids,
                                                uint64_t seed,
                                                const std::vector<int64_t>& explicit_order) {
  if (!ids.defined() || ids.dim() != 1) {
    return absl::InvalidArgumentError("backfill order: gallery ids must be a 1-D tensor");
  }
  const torch::Tensor g = ids.to(torch::kCPU, torch::kInt64);
  switch (policy) {
    case OrderPolicy::kRandom: {
      torch::Generator generator = at::detail::createCPUGenerator(seed);
      const torch::Tensor perm =
          torch::randperm(g.size(0), generator, torch::TensorOptions().dtype(torch::kInt64));
      return g.index_select(0, perm);
    }
    case OrderPolicy::kIdOrder:
      return std::get<0>(g.sort());
    case OrderPolicy::kExplicit: {
      torch::Tensor order = torch::tensor(explicit_order, torch::kInt64);
      if (explicit_order.empty()) order = torch::empty({0}, torch::kInt64);
      if (absl::Status s = CheckPermutation(order, g); !s.ok()) return s;
      return order;
    }
  }
  return absl::InvalidArgumentError("backfill order: unknown policy");
}

std::vector<int64_t> StepBoundaries(int64_t n, int num_steps) {
  TORCH_CHECK(num_steps >= 1, "the backfilling protocol needs at least one step, got ", num_steps);
  std::vector<int64_t> bounds(num_steps + 1);
  for (int s = 0; s <= num_steps; ++s) {
    bounds[s] = static_cast<int64_t>(
        std::llround(static_cast<double>(s) * static_cast<double>(n) / num_steps));
  }
  return bounds;
}

std::vector<double> ProgressPoints(int num_steps) {
  TORCH_CHECK(num_steps >= 1, "the backfilling protocol needs at least one step, got ", num_steps);
  std::vector<double> t(num_steps + 1);
  for (int s = 0; s <= num_steps; ++s) t[s] = static_cast<double>(s) / num_steps;
  return t;
}

}  // namespace repro::backfill
