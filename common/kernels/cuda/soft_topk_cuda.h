// CUDA kernels of the soft top-k op (common/kernels/soft_topk.h), behind a plain C++ interface on
// raw device pointers: nothing here needs CUDA headers or a CUDA-enabled LibTorch, so the CPU-only
// LibTorch of the build machines can link it and tests can compare it with the CPU kernels.
// Built only with --config=cuda (which defines REPRO_WITH_CUDA for everything that depends on it).
//
// Same contracts as cpu/soft_topk_cpu.h; `c` may be null (unit costs). Errors (no device, a failed
// launch) throw std::runtime_error with the CUDA error string.
#ifndef COMMON_KERNELS_CUDA_SOFT_TOPK_CUDA_H_
#define COMMON_KERNELS_CUDA_SOFT_TOPK_CUDA_H_

#include <cstdint>
#include <string>

#include "common/kernels/soft_topk_types.h"

namespace repro::kernels::cuda {

// True when a CUDA device can be used; otherwise false and `reason` says why (e.g. "CUDA driver
// version is insufficient for CUDA runtime version" on machines without a GPU).
bool DeviceAvailable(std::string* reason);

TopKThreshold FindTopKThreshold(const float* u, const float* c, int64_t n, double budget);
void HardTopKMask(const float* u, const float* c, int64_t n, double budget, const TopKThreshold& t,
                  float* mask);
SoftTopKStats SoftTopKForward(const float* v, const float* c, int64_t n, double budget,
                              const SoftTopKOptions& options, float* mask);
void SoftTopKBackward(const float* grad_mask, const float* mask, const float* c, int64_t n,
                      double beta, float* grad_v);

// Device memory helpers for callers without CUDA headers (tests, benchmarks).
float* DeviceAlloc(int64_t n);
void DeviceFree(float* p);
void CopyToDevice(const float* host, int64_t n, float* device);
void CopyToHost(const float* device, int64_t n, float* host);

}  // namespace repro::kernels::cuda

#endif  // COMMON_KERNELS_CUDA_SOFT_TOPK_CUDA_H_
