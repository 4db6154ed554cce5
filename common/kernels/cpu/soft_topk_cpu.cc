// CPU reference kernels of the soft top-k op; see soft_topk_cpu.h and the spec
// (shared/papers/spartan.md §2.2-2.4).
//
// Work is split into fixed chunks of kChunk entries; each chunk reduces into its own slot and the
// slots are added in chunk order, so the numbers are the same for every thread count. The hot loops
// are compiled twice (AVX2+FMA and the baseline ISA, chosen at load time by GCC's target_clones)
// and vectorised with `omp simd` reductions around a branch-free exp.
#include "common/kernels/cpu/soft_topk_cpu.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "common/port/torch.h"

namespace repro::kernels::cpu {
namespace {

constexpr int64_t kChunk = 16384;

int64_t NumChunks(int64_t n) { return (n + kChunk - 1) / kChunk; }

// Calls f(chunk, begin, end) for every chunk, in parallel.
template <typename F>
void ForEachChunk(int64_t n, const F& f) {
  at::parallel_for(0, NumChunks(n), 1, [&](int64_t first, int64_t last) {
    for (int64_t k = first; k < last; ++k) f(k, k * kChunk, std::min(n, (k + 1) * kChunk));
  });
}

// Order-preserving map of floats to unsigned integers (larger float -> larger key).
inline uint32_t OrderedKey(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof(b));
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

inline float KeyToFloat(uint32_t key) {
  const uint32_t b = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
  float x;
  std::memcpy(&x, &b, sizeof(x));
  return x;
}

// exp(x) for x clamped to [-87, 88] (Cephes expf: 2^n · p(r)); branch-free, with bit casts the
// vectoriser understands, so the loops below vectorise.
inline __attribute__((always_inline)) float FastExp(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float shifted = x * 1.44269504088896341f + 12582912.0f;  // round(x / ln 2) + 1.5 · 2^23
  const int32_t n = __builtin_bit_cast(int32_t, shifted) - 0x4B400000;
  const float fn = shifted - 12582912.0f;
  const float r = x - fn * 0.693359375f + fn * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  return y * __builtin_bit_cast(float, (n + 127) << 23);
}

// sigmoid(z) = exp(−softplus(−z)), computed as 1 / (1 + e^{−z}), stable for all z.
inline __attribute__((always_inline)) float Sigmoid(float z) { return 1.0f / (1.0f + FastExp(-z)); }

// One Sinkhorn reduction over [lo, hi): Σ c m and Σ c m u with m = sigmoid(β (u − τ) + μ).
// The masks of a small block are computed first (a vectorised loop), then reduced (a vectorised
// reduction): GCC does not vectorise the exp and the reduction in one loop.
template <bool kUnit>
inline __attribute__((always_inline)) void TransportSums(const float* u, const float* c, int64_t lo,
                                                         int64_t hi, float beta, float tau, float mu,
                                                         double* cost_sum, double* value_sum) {
  constexpr int64_t kBlock = 256;
  float m[kBlock];
  float sc = 0.0f, sv = 0.0f;
  for (int64_t b = lo; b < hi; b += kBlock) {
    const int64_t n = std::min(kBlock, hi - b);
    const float* ub = u + b;
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) m[j] = Sigmoid(beta * (ub[j] - tau) + mu);
    if (kUnit) {
#pragma omp simd reduction(+ : sc, sv)
      for (int64_t j = 0; j < n; ++j) {
        sc += m[j];
        sv += m[j] * ub[j];
      }
    } else {
      const float* cb = c + b;
#pragma omp simd reduction(+ : sc, sv)
      for (int64_t j = 0; j < n; ++j) {
        const float cm = cb[j] * m[j];
        sc += cm;
        sv += cm * ub[j];
      }
    }
  }
  *cost_sum = sc;
  *value_sum = sv;
}

__attribute__((target_clones("arch=haswell", "default"))) void TransportSumsUnit(
    const float* u, int64_t lo, int64_t hi, float beta, float tau, float mu, double* cost_sum,
    double* value_sum) {
  TransportSums<true>(u, nullptr, lo, hi, beta, tau, mu, cost_sum, value_sum);
}

__attribute__((target_clones("arch=haswell", "default"))) void TransportSumsCost(
    const float* u, const float* c, int64_t lo, int64_t hi, float beta, float tau, float mu,
    double* cost_sum, double* value_sum) {
  TransportSums<false>(u, c, lo, hi, beta, tau, mu, cost_sum, value_sum);
}

// mask[i] = sigmoid(β (u[i] − τ) + μ); u may alias mask.
__attribute__((target_clones("arch=haswell", "default"))) void WriteSoftMask(
    const float* u, int64_t lo, int64_t hi, float beta, float tau, float mu, float* mask) {
#pragma omp simd
  for (int64_t i = lo; i < hi; ++i) mask[i] = Sigmoid(beta * (u[i] - tau) + mu);
}

// Σ g m (1 − m) and Σ c m (1 − m) over [lo, hi).
__attribute__((target_clones("arch=haswell", "default"))) void BackwardSums(
    const float* g, const float* m, const float* c, int64_t lo, int64_t hi, double* a_out,
    double* b_out) {
  float a = 0.0f, b = 0.0f;
  if (c == nullptr) {
#pragma omp simd reduction(+ : a, b)
    for (int64_t i = lo; i < hi; ++i) {
      const float s = m[i] * (1.0f - m[i]);
      a += g[i] * s;
      b += s;
    }
  } else {
#pragma omp simd reduction(+ : a, b)
    for (int64_t i = lo; i < hi; ++i) {
      const float s = m[i] * (1.0f - m[i]);
      a += g[i] * s;
      b += c[i] * s;
    }
  }
  *a_out = a;
  *b_out = b;
}

__attribute__((target_clones("arch=haswell", "default"))) void WriteGradient(
    const float* g, const float* m, const float* c, int64_t lo, int64_t hi, float beta,
    float ratio, float* grad_v) {
  if (c == nullptr) {
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) grad_v[i] = beta * m[i] * (1.0f - m[i]) * (g[i] - ratio);
  } else {
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) {
      grad_v[i] = beta * m[i] * (1.0f - m[i]) * (g[i] / c[i] - ratio);
    }
  }
}

// Adds per-chunk partial sums in chunk order.
double SumSlots(const std::vector<double>& slots) {
  double s = 0.0;
  for (double x : slots) s += x;
  return s;
}

struct RadixDigit {
  int shift;
  int bits;
};
constexpr RadixDigit kDigits[3] = {{21, 11}, {10, 11}, {0, 10}};

}  // namespace

TopKThreshold FindTopKThreshold(const float* u, const float* c, int64_t n, double budget) {
  TopKThreshold t;
  const double total = c == nullptr ? static_cast<double>(n) : [&] {
    std::vector<double> slots(NumChunks(n), 0.0);
    ForEachChunk(n, [&](int64_t k, int64_t lo, int64_t hi) {
      double s = 0.0;
      for (int64_t i = lo; i < hi; ++i) s += c[i];
      slots[k] = s;
    });
    return SumSlots(slots);
  }();
  if (budget >= total) {
    t.keep_all = true;
    t.tau = std::numeric_limits<float>::lowest();
    t.cost_above = total;
    t.num_above = n;
    return t;
  }
  // Weighted radix select from the most significant digit: in each pass, histogram the costs of
  // the entries that share the prefix chosen so far, and walk the bins from the top until the
  // cumulative cost reaches the budget.
  uint32_t prefix = 0;
  double above = 0.0;
  int64_t num_above = 0;
  const int64_t chunks = NumChunks(n);
  for (int pass = 0; pass < 3; ++pass) {
    const int shift = kDigits[pass].shift;
    const int bits = kDigits[pass].bits;
    const int64_t bins = int64_t{1} << bits;
    const int prefix_shift = shift + bits;
    std::vector<uint32_t> counts(chunks * bins, 0);
    std::vector<double> weights(c == nullptr ? 0 : chunks * bins, 0.0);
    ForEachChunk(n, [&](int64_t k, int64_t lo, int64_t hi) {
      uint32_t* count = counts.data() + k * bins;
      double* weight = c == nullptr ? nullptr : weights.data() + k * bins;
      for (int64_t i = lo; i < hi; ++i) {
        const uint32_t key = OrderedKey(u[i]);
        if (pass > 0 && (key >> prefix_shift) != prefix) continue;
        const uint32_t digit = (key >> shift) & static_cast<uint32_t>(bins - 1);
        ++count[digit];
        if (weight != nullptr) weight[digit] += c[i];
      }
    });
    std::vector<int64_t> count(bins, 0);
    std::vector<double> weight(bins, 0.0);
    for (int64_t k = 0; k < chunks; ++k) {
      for (int64_t b = 0; b < bins; ++b) {
        count[b] += counts[k * bins + b];
        weight[b] += c == nullptr ? counts[k * bins + b] : weights[k * bins + b];
      }
    }
    int64_t chosen = -1, lowest_nonempty = -1;
    for (int64_t b = bins - 1; b >= 0; --b) {
      if (count[b] == 0) continue;
      lowest_nonempty = b;
      if (above + weight[b] >= budget) {
        chosen = b;
        break;
      }
      above += weight[b];
      num_above += count[b];
    }
    if (chosen < 0) {
      // Only reachable through rounding of weighted sums: take the last entries there are.
      chosen = lowest_nonempty;
      above -= weight[chosen];
      num_above -= count[chosen];
    }
    prefix = pass == 0 ? static_cast<uint32_t>(chosen)
                       : (prefix << bits) | static_cast<uint32_t>(chosen);
    if (pass == 2) {
      t.cost_tied = weight[chosen];
      t.num_tied = count[chosen];
    }
  }
  t.tau = KeyToFloat(prefix);
  t.cost_above = above;
  t.num_above = num_above;
  return t;
}

void HardTopKMask(const float* u, const float* c, int64_t n, double budget, const TopKThreshold& t,
                  float* mask) {
  if (t.keep_all) {
    std::fill(mask, mask + n, 1.0f);
    return;
  }
  const uint32_t tau_key = OrderedKey(t.tau);
  const float tied_value = t.num_tied == 1 ? 1.0f : 0.0f;
  ForEachChunk(n, [&](int64_t, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const uint32_t key = OrderedKey(u[i]);
      mask[i] = key > tau_key ? 1.0f : (key == tau_key ? tied_value : 0.0f);
    }
  });
  if (t.num_tied > 1) {
    // Ties at the boundary: keep them in index order until the budget is reached.
    double kept = t.cost_above;
    for (int64_t i = 0; i < n && kept < budget; ++i) {
      if (OrderedKey(u[i]) != tau_key) continue;
      mask[i] = 1.0f;
      kept += c == nullptr ? 1.0 : c[i];
    }
  }
}

SoftTopKStats SoftTopKForward(const float* v, const float* c, int64_t n, double budget,
                              const SoftTopKOptions& options, float* mask) {
  SoftTopKStats stats;
  // Unit values u = v / c: the values themselves for unit costs, else kept in the output buffer
  // until the last pass overwrites them with the mask.
  const float* u = v;
  if (c != nullptr) {
    ForEachChunk(n, [&](int64_t, int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) mask[i] = v[i] / c[i];
    });
    u = mask;
  }
  stats.threshold = FindTopKThreshold(u, c, n, budget);
  if (stats.threshold.keep_all) {
    std::fill(mask, mask + n, 1.0f);
    stats.converged = true;
    stats.mask_cost = stats.threshold.cost_above;
    return stats;
  }
  const float beta = static_cast<float>(options.beta);
  const float tau = stats.threshold.tau;
  const int64_t chunks = NumChunks(n);
  std::vector<double> cost_slots(chunks), value_slots(chunks);
  // Returns (Σ c m, Σ m v) at dual variable mu.
  auto sums = [&](double mu) {
    ForEachChunk(n, [&](int64_t k, int64_t lo, int64_t hi) {
      if (c == nullptr) {
        TransportSumsUnit(u, lo, hi, beta, tau, static_cast<float>(mu), &cost_slots[k],
                          &value_slots[k]);
      } else {
        TransportSumsCost(u, c, lo, hi, beta, tau, static_cast<float>(mu), &cost_slots[k],
                          &value_slots[k]);
      }
    });
    return std::make_pair(SumSlots(cost_slots), SumSlots(value_slots));
  };
  // Log-domain Sinkhorn on the two-bin transport, centred at the hard threshold (z_i = β(u_i − τ),
  // μ = 0). With ν_i = log c_i − softplus(z_i + μ) eliminated, the μ-update
  // μ ← log k − LSE_i(z_i + ν_i) reads μ ← μ + log k − log Σ_i c_i sigmoid(z_i + μ).
  double mu = 0.0;
  auto [mask_cost, objective] = sums(mu);
  const double log_budget = std::log(budget);
  for (int it = 1; it <= options.max_iters; ++it) {
    mu += log_budget - std::log(std::max(mask_cost, std::numeric_limits<double>::min()));
    const double previous = objective;
    std::tie(mask_cost, objective) = sums(mu);
    stats.iterations = it;
    if (std::abs(objective - previous) <= options.tol * std::abs(previous)) {
      stats.converged = true;
      break;
    }
  }
  ForEachChunk(n, [&](int64_t, int64_t lo, int64_t hi) {
    WriteSoftMask(u, lo, hi, beta, tau, static_cast<float>(mu), mask);
  });
  stats.mu = mu;
  stats.mask_cost = mask_cost;
  return stats;
}

void SoftTopKBackward(const float* grad_mask, const float* mask, const float* c, int64_t n,
                      double beta, float* grad_v) {
  const int64_t chunks = NumChunks(n);
  std::vector<double> a_slots(chunks), b_slots(chunks);
  ForEachChunk(n, [&](int64_t k, int64_t lo, int64_t hi) {
    BackwardSums(grad_mask, mask, c, lo, hi, &a_slots[k], &b_slots[k]);
  });
  const double a = SumSlots(a_slots);
  const double b = SumSlots(b_slots);
  const float ratio = b > 0.0 ? static_cast<float>(a / b) : 0.0f;
  ForEachChunk(n, [&](int64_t, int64_t lo, int64_t hi) {
    WriteGradient(grad_mask, mask, c, lo, hi, static_cast<float>(beta), ratio, grad_v);
  });
}

}  // namespace repro::kernels::cpu
