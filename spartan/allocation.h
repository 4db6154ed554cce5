// Per-layer allocation of a global non-zero budget by RigL's Erdős–Rényi-Kernel rule (Evci et al.
// 2020; spec §2.7 `erk`): layer l gets density min(1, ε · (Σ_j n_j) / (Π_j n_j)) over its weight
// shape n, with one global ε solved so the kept counts add up to the budget; layers that would
// exceed density 1 are made dense and the rest re-solved.
#ifndef SPARTAN_ALLOCATION_H_
#define SPARTAN_ALLOCATION_H_

#include <cstdint>
#include <vector>

namespace repro::spartan {

// Densities in (0, 1] per layer (the real-valued solution).
std::vector<double> ErkDensities(const std::vector<std::vector<int64_t>>& shapes, double total_kept);

// Integer kept counts per layer that add up to exactly `total_kept` (largest-remainder rounding of
// the ERK densities, never more than a layer's size). total_kept <= Σ numel.
std::vector<int64_t> ErkCounts(const std::vector<std::vector<int64_t>>& shapes, int64_t total_kept);

}  // namespace repro::spartan

#endif  // SPARTAN_ALLOCATION_H_
