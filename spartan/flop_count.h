// Per-layer FLOP factors of the linear cost model (spec §2.1): a Conv2d weight costs H_out · W_out
// multiply-adds per image (its output's spatial size), a Linear weight costs 1 (no per-token
// factor). Output sizes are measured, not derived: one forward pass runs with an ATen
// RecordFunction observer on aten::conv2d that matches each call's weight to its module, so any
// model built from torch::nn::Conv2d works.
#ifndef SPARTAN_FLOP_COUNT_H_
#define SPARTAN_FLOP_COUNT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "common/port/torch.h"

namespace repro::spartan {

// H_out · W_out of every Conv2d under `module` (by module name, as named_modules() gives it),
// observed while `forward` runs one forward pass. Error if a Conv2d was not called.
absl::StatusOr<std::map<std::string, int64_t>> MeasureConvOutputSizes(
    torch::nn::Module& module, const std::function<void()>& forward);

}  // namespace repro::spartan

#endif  // SPARTAN_FLOP_COUNT_H_
