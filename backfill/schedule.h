// The order in which gallery items are backfilled and the evaluation points of the protocol
// (backfill.md §1): the gallery moves from old to new embeddings in `num_steps` equal steps, and
// the system is evaluated before the first step and after each one (11 points, t = 0, 0.1, ..., 1,
// by default). The order is a policy so that other policies (e.g. FastFill's uncertainty order)
// can be added beside the random one.
#ifndef BACKFILL_SCHEDULE_H_
#define BACKFILL_SCHEDULE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/port/torch.h"

namespace repro::backfill {

enum class OrderPolicy {
  kRandom,    // a seeded random permutation of the gallery (the paper's default)
  kIdOrder,   // ascending id (a deterministic sweep, e.g. by insertion time)
  kExplicit,  // a given permutation (e.g. read from a file)
};

// "random", "id_order", "explicit".
std::string OrderPolicyName(OrderPolicy policy);

// The backfill order: a permutation of `ids` ([N] int64). kRandom draws it from `seed`; kExplicit
// checks and returns `explicit_order`.
absl::StatusOr<torch::Tensor> MakeBackfillOrder(OrderPolicy policy, const torch::Tensor& ids,
                                                uint64_t seed,
                                                const std::vector<int64_t>& explicit_order = {});

// OK when `order` [N] holds each id of `ids` [N] exactly once; otherwise one line saying what is
// wrong (length, an unknown id, a repeated id).
absl::Status CheckPermutation(const torch::Tensor& order, const torch::Tensor& ids);

// How many items are backfilled at each of the num_steps + 1 evaluation points:
// round(s * n / num_steps) for s = 0..num_steps (0 first, n last).
std::vector<int64_t> StepBoundaries(int64_t n, int num_steps);

// The progress t = s / num_steps of each evaluation point.
std::vector<double> ProgressPoints(int num_steps);

}  // namespace repro::backfill

#endif  // BACKFILL_SCHEDULE_H_
