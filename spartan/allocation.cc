// ERK allocation (allocation.h).
#include "spartan/allocation.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace repro::spartan {
namespace {

double Numel(const std::vector<int64_t>& shape) {
  double n = 1.0;
  for (int64_t d : shape) n *= static_cast<double>(d);
  return n;
}

// (Σ_j n_j) / (Π_j n_j): the Erdős–Rényi(-Kernel) density score.
double ErkScore(const std::vector<int64_t>& shape) {
  double sum = 0.0;
  for (int64_t d : shape) sum += static_cast<double>(d);
  return sum / Numel(shape);
}

}  // namespace

std::vector<double> ErkDensities(const std::vector<std::vector<int64_t>>& shapes,
                                 double total_kept) {
  const size_t n = shapes.size();
  std::vector<double> density(n, 0.0);
  std::vector<bool> dense(n, false);
  while (true) {
    double budget = total_kept, weighted = 0.0;
    for (size_t l = 0; l < n; ++l) {
      if (dense[l]) {
        budget -= Numel(shapes[l]);
      } else {
        weighted += ErkScore(shapes[l]) * Numel(shapes[l]);
      }
    }
    const double epsilon = weighted > 0.0 ? std::max(0.0, budget) / weighted : 0.0;
    // Make dense the layer that overflows most, then re-solve.
    int worst = -1;
    double worst_density = 1.0;
    for (size_t l = 0; l < n; ++l) {
      if (dense[l]) continue;
      const double d = epsilon * ErkScore(shapes[l]);
      if (d > worst_density) {
        worst_density = d;
        worst = static_cast<int>(l);
      }
    }
    if (worst < 0) {
      for (size_t l = 0; l < n; ++l) density[l] = dense[l] ? 1.0 : epsilon * ErkScore(shapes[l]);
      return density;
    }
    dense[worst] = true;
  }
}

std::vector<int64_t> ErkCounts(const std::vector<std::vector<int64_t>>& shapes,
                               int64_t total_kept) {
  const std::vector<double> density = ErkDensities(shapes, static_cast<double>(total_kept));
  const size_t n = shapes.size();
  std::vector<int64_t> count(n);
  std::vector<double> remainder(n);
  int64_t assigned = 0;
  for (size_t l = 0; l < n; ++l) {
    const double exact = std::min(Numel(shapes[l]), density[l] * Numel(shapes[l]));
    count[l] = static_cast<int64_t>(std::floor(exact));
    remainder[l] = exact - static_cast<double>(count[l]);
    assigned += count[l];
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  // Hand out the rounding remainder one by one (largest fractional part first), skipping full
  // layers, until the total is exact.
  while (assigned < total_kept) {
    bool progressed = false;
    for (size_t l : order) {
      if (assigned >= total_kept) break;
      if (count[l] < static_cast<int64_t>(Numel(shapes[l]))) {
        ++count[l];
        ++assigned;
        progressed = true;
      }
    }
    if (!progressed) break;  // every layer is full: total_kept exceeded the model
  }
  return count;
}

}  // namespace repro::spartan
