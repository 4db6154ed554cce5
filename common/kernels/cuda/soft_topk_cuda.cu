// CUDA kernels of the soft top-k op; the algorithm is the CPU reference's (cpu/soft_topk_cpu.cc):
// weighted radix select for the hard threshold (3 passes of shared-memory histograms), log-domain
// Sinkhorn reductions with the μ-update on the host, and the two-pass implicit backward.
#include "common/kernels/cuda/soft_topk_cuda.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

namespace repro::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxBins = 2048;

void Check(cudaError_t error, const char* what) {
  if (error != cudaSuccess) {
    throw std::runtime_error(std::string("soft top-k CUDA: ") + what + ": " +
                             cudaGetErrorString(error));
  }
}

int Blocks(int64_t n) {
  return static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 4096));
}

__host__ __device__ inline uint32_t OrderedKey(float x) {
  uint32_t b;
  memcpy(&b, &x, sizeof(b));
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

float KeyToFloat(uint32_t key) {
  const uint32_t b = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
  float x;
  memcpy(&x, &b, sizeof(x));
  return x;
}

__device__ inline float Sigmoid(float z) { return 1.0f / (1.0f + expf(-z)); }

// Block-wide sum of two doubles, added atomically to out[0], out[1].
__device__ void BlockSum2(double x, double y, double* out) {
  __shared__ double sx[kThreads], sy[kThreads];
  sx[threadIdx.x] = x;
  sy[threadIdx.x] = y;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) {
      sx[threadIdx.x] += sx[threadIdx.x + s];
      sy[threadIdx.x] += sy[threadIdx.x + s];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    atomicAdd(&out[0], sx[0]);
    atomicAdd(&out[1], sy[0]);
  }
}

__global__ void CostTotalKernel(const float* c, int64_t n, double* out) {
  double s = 0.0;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    s += c[i];
  }
  BlockSum2(s, 0.0, out);
}

__global__ void RadixHistogramKernel(const float* u, const float* c, int64_t n, int shift, int bits,
                                     bool filter, uint32_t prefix, unsigned long long* counts,
                                     double* weights) {
  __shared__ unsigned int count[kMaxBins];
  __shared__ double weight[kMaxBins];
  const int bins = 1 << bits;
  for (int b = threadIdx.x; b < bins; b += blockDim.x) {
    count[b] = 0;
    weight[b] = 0.0;
  }
  __syncthreads();
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    const uint32_t key = OrderedKey(u[i]);
    if (filter && (key >> (shift + bits)) != prefix) continue;
    const uint32_t digit = (key >> shift) & static_cast<uint32_t>(bins - 1);
    atomicAdd(&count[digit], 1u);
    atomicAdd(&weight[digit], c == nullptr ? 1.0 : static_cast<double>(c[i]));
  }
  __syncthreads();
  for (int b = threadIdx.x; b < bins; b += blockDim.x) {
    if (count[b] == 0) continue;
    atomicAdd(&counts[b], static_cast<unsigned long long>(count[b]));
    atomicAdd(&weights[b], weight[b]);
  }
}

__global__ void HardMaskKernel(const float* u, int64_t n, uint32_t tau_key, float tied_value,
                               float* mask) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    const uint32_t key = OrderedKey(u[i]);
    mask[i] = key > tau_key ? 1.0f : (key == tau_key ? tied_value : 0.0f);
  }
}

// Boundary ties in index order (rare; one thread, like the CPU's serial walk).
__global__ void KeepTiesKernel(const float* u, const float* c, int64_t n, uint32_t tau_key,
                               double kept, double budget, float* mask) {
  for (int64_t i = 0; i < n && kept < budget; ++i) {
    if (OrderedKey(u[i]) != tau_key) continue;
    mask[i] = 1.0f;
    kept += c == nullptr ? 1.0 : c[i];
  }
}

__global__ void UnitValuesKernel(const float* v, const float* c, int64_t n, float* u) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    u[i] = c == nullptr ? v[i] : v[i] / c[i];
  }
}

__global__ void TransportSumsKernel(const float* u, const float* c, int64_t n, float beta,
                                    float tau, float mu, double* sums) {
  double sc = 0.0, sv = 0.0;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    const float m = Sigmoid(beta * (u[i] - tau) + mu);
    const float cm = c == nullptr ? m : c[i] * m;
    sc += cm;
    sv += cm * u[i];
  }
  BlockSum2(sc, sv, sums);
}

__global__ void WriteMaskKernel(const float* u, int64_t n, float beta, float tau, float mu,
                                float* mask) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    mask[i] = Sigmoid(beta * (u[i] - tau) + mu);
  }
}

__global__ void BackwardSumsKernel(const float* g, const float* m, const float* c, int64_t n,
                                   double* sums) {
  double a = 0.0, b = 0.0;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    const float s = m[i] * (1.0f - m[i]);
    a += g[i] * s;
    b += (c == nullptr ? 1.0f : c[i]) * s;
  }
  BlockSum2(a, b, sums);
}

__global__ void GradientKernel(const float* g, const float* m, const float* c, int64_t n,
                               float beta, float ratio, float* grad_v) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    const float gi = c == nullptr ? g[i] : g[i] / c[i];
    grad_v[i] = beta * m[i] * (1.0f - m[i]) * (gi - ratio);
  }
}

// A small device scratch buffer of doubles, zeroed.
class DeviceDoubles {
 public:
  explicit DeviceDoubles(int64_t n) : n_(n) {
    Check(cudaMalloc(&data_, n * sizeof(double)), "cudaMalloc");
    Zero();
  }
  ~DeviceDoubles() { cudaFree(data_); }
  DeviceDoubles(const DeviceDoubles&) = delete;
  DeviceDoubles& operator=(const DeviceDoubles&) = delete;
  void Zero() { Check(cudaMemset(data_, 0, n_ * sizeof(double)), "cudaMemset"); }
  double* get() { return data_; }
  std::vector<double> Read() const {
    std::vector<double> host(n_);
    Check(cudaMemcpy(host.data(), data_, n_ * sizeof(double), cudaMemcpyDeviceToHost), "copy");
    return host;
  }

 private:
  int64_t n_;
  double* data_ = nullptr;
};

struct RadixDigit {
  int shift;
  int bits;
};
constexpr RadixDigit kDigits[3] = {{21, 11}, {10, 11}, {0, 10}};

}  // namespace

bool DeviceAvailable(std::string* reason) {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    *reason = std::string("no usable CUDA device: ") + cudaGetErrorString(error);
    return false;
  }
  if (count == 0) {
    *reason = "no CUDA device present";
    return false;
  }
  return true;
}

TopKThreshold FindTopKThreshold(const float* u, const float* c, int64_t n, double budget) {
  TopKThreshold t;
  double total = static_cast<double>(n);
  if (c != nullptr) {
    DeviceDoubles sums(2);
    CostTotalKernel<<<Blocks(n), kThreads>>>(c, n, sums.get());
    Check(cudaGetLastError(), "cost total");
    total = sums.Read()[0];
  }
  if (budget >= total) {
    t.keep_all = true;
    t.tau = std::numeric_limits<float>::lowest();
    t.cost_above = total;
    t.num_above = n;
    return t;
  }
  unsigned long long* d_counts = nullptr;
  Check(cudaMalloc(&d_counts, kMaxBins * sizeof(unsigned long long)), "cudaMalloc");
  DeviceDoubles d_weights(kMaxBins);
  uint32_t prefix = 0;
  double above = 0.0;
  int64_t num_above = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const int bits = kDigits[pass].bits;
    const int bins = 1 << bits;
    Check(cudaMemset(d_counts, 0, kMaxBins * sizeof(unsigned long long)), "cudaMemset");
    d_weights.Zero();
    RadixHistogramKernel<<<Blocks(n), kThreads>>>(u, c, n, kDigits[pass].shift, bits, pass > 0,
                                                  prefix, d_counts, d_weights.get());
    Check(cudaGetLastError(), "radix histogram");
    std::vector<unsigned long long> count(kMaxBins);
    Check(cudaMemcpy(count.data(), d_counts, kMaxBins * sizeof(unsigned long long),
                     cudaMemcpyDeviceToHost),
          "copy");
    const std::vector<double> weight = d_weights.Read();
    int chosen = -1, lowest_nonempty = -1;
    for (int b = bins - 1; b >= 0; --b) {
      if (count[b] == 0) continue;
      lowest_nonempty = b;
      if (above + weight[b] >= budget) {
        chosen = b;
        break;
      }
      above += weight[b];
      num_above += static_cast<int64_t>(count[b]);
    }
    if (chosen < 0) {
      chosen = lowest_nonempty;
      above -= weight[chosen];
      num_above -= static_cast<int64_t>(count[chosen]);
    }
    prefix = pass == 0 ? static_cast<uint32_t>(chosen)
                       : (prefix << bits) | static_cast<uint32_t>(chosen);
    if (pass == 2) {
      t.cost_tied = weight[chosen];
      t.num_tied = static_cast<int64_t>(count[chosen]);
    }
  }
  cudaFree(d_counts);
  t.tau = KeyToFloat(prefix);
  t.cost_above = above;
  t.num_above = num_above;
  return t;
}

void HardTopKMask(const float* u, const float* c, int64_t n, double budget, const TopKThreshold& t,
                  float* mask) {
  if (t.keep_all) {
    HardMaskKernel<<<Blocks(n), kThreads>>>(u, n, 0u, 1.0f, mask);  // every key >= 0
    Check(cudaGetLastError(), "hard mask");
    return;
  }
  const uint32_t tau_key = OrderedKey(t.tau);
  HardMaskKernel<<<Blocks(n), kThreads>>>(u, n, tau_key, t.num_tied == 1 ? 1.0f : 0.0f, mask);
  Check(cudaGetLastError(), "hard mask");
  if (t.num_tied > 1) {
    KeepTiesKernel<<<1, 1>>>(u, c, n, tau_key, t.cost_above, budget, mask);
    Check(cudaGetLastError(), "hard mask ties");
  }
  Check(cudaDeviceSynchronize(), "hard mask");
}

SoftTopKStats SoftTopKForward(const float* v, const float* c, int64_t n, double budget,
                              const SoftTopKOptions& options, float* mask) {
  SoftTopKStats stats;
  float* u = mask;
  UnitValuesKernel<<<Blocks(n), kThreads>>>(v, c, n, u);
  Check(cudaGetLastError(), "unit values");
  stats.threshold = FindTopKThreshold(u, c, n, budget);
  const float beta = static_cast<float>(options.beta);
  const float tau = stats.threshold.tau;
  if (stats.threshold.keep_all) {
    HardMaskKernel<<<Blocks(n), kThreads>>>(u, n, 0u, 1.0f, mask);
    Check(cudaGetLastError(), "mask");
    stats.converged = true;
    stats.mask_cost = stats.threshold.cost_above;
    return stats;
  }
  DeviceDoubles sums(2);
  auto transport_sums = [&](double mu) {
    sums.Zero();
    TransportSumsKernel<<<Blocks(n), kThreads>>>(u, c, n, beta, tau, static_cast<float>(mu),
                                                 sums.get());
    Check(cudaGetLastError(), "transport sums");
    const std::vector<double> s = sums.Read();
    return std::make_pair(s[0], s[1]);
  };
  double mu = 0.0;
  auto [mask_cost, objective] = transport_sums(mu);
  const double log_budget = std::log(budget);
  for (int it = 1; it <= options.max_iters; ++it) {
    mu += log_budget - std::log(std::max(mask_cost, std::numeric_limits<double>::min()));
    const double previous = objective;
    std::tie(mask_cost, objective) = transport_sums(mu);
    stats.iterations = it;
    if (std::abs(objective - previous) <= options.tol * std::abs(previous)) {
      stats.converged = true;
      break;
    }
  }
  WriteMaskKernel<<<Blocks(n), kThreads>>>(u, n, beta, tau, static_cast<float>(mu), mask);
  Check(cudaGetLastError(), "write mask");
  Check(cudaDeviceSynchronize(), "soft top-k forward");
  stats.mu = mu;
  stats.mask_cost = mask_cost;
  return stats;
}

void SoftTopKBackward(const float* grad_mask, const float* mask, const float* c, int64_t n,
                      double beta, float* grad_v) {
  DeviceDoubles sums(2);
  BackwardSumsKernel<<<Blocks(n), kThreads>>>(grad_mask, mask, c, n, sums.get());
  Check(cudaGetLastError(), "backward sums");
  const std::vector<double> s = sums.Read();
  const float ratio = s[1] > 0.0 ? static_cast<float>(s[0] / s[1]) : 0.0f;
  GradientKernel<<<Blocks(n), kThreads>>>(grad_mask, mask, c, n, static_cast<float>(beta), ratio,
                                          grad_v);
  Check(cudaGetLastError(), "gradient");
  Check(cudaDeviceSynchronize(), "soft top-k backward");
}

float* DeviceAlloc(int64_t n) {
  float* p = nullptr;
  Check(cudaMalloc(&p, std::max<int64_t>(n, 1) * sizeof(float)), "cudaMalloc");
  return p;
}

void DeviceFree(float* p) { cudaFree(p); }

void CopyToDevice(const float* host, int64_t n, float* device) {
  Check(cudaMemcpy(device, host, n * sizeof(float), cudaMemcpyHostToDevice), "copy to device");
}

void CopyToHost(const float* device, int64_t n, float* host) {
  Check(cudaMemcpy(host, device, n * sizeof(float), cudaMemcpyDeviceToHost), "copy to host");
}

}  // namespace repro::kernels::cuda
