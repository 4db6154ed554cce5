// Compares the CUDA soft top-k kernels with the CPU reference kernels on the same seeded inputs.
// Skips visibly when the build has no CUDA kernels (no --config=cuda) or the machine has no GPU.
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/kernels/cpu/soft_topk_cpu.h"
#include "gtest/gtest.h"
#ifdef REPRO_WITH_CUDA
#include "common/kernels/cuda/soft_topk_cuda.h"
#endif

namespace repro {
namespace {

#ifndef REPRO_WITH_CUDA
TEST(SoftTopKCudaTest, MatchesCpu) {
  GTEST_SKIP() << "CUDA kernels not built: run with --config=cuda on a machine with a GPU";
}
#else
namespace cu = kernels::cuda;

// Device copy of a host array, freed on scope exit.
class DeviceArray {
 public:
  explicit DeviceArray(const std::vector<float>& host) : n_(host.size()) {
    data_ = cu::DeviceAlloc(n_);
    cu::CopyToDevice(host.data(), n_, data_);
  }
  explicit DeviceArray(int64_t n) : n_(n), data_(cu::DeviceAlloc(n)) {}
  ~DeviceArray() { cu::DeviceFree(data_); }
  float* get() const { return data_; }
  std::vector<float> Read() const {
    std::vector<float> host(n_);
    cu::CopyToHost(data_, n_, host.data());
    return host;
  }

 private:
  int64_t n_;
  float* data_;
};

struct Inputs {
  std::vector<float> v, c, g;
};

Inputs MakeInputs(int64_t n, bool costs, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Inputs in;
  in.v.resize(n);
  in.g.resize(n);
  if (costs) in.c.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    in.v[i] = std::abs(normal(gen)) * 0.05f;
    in.g[i] = normal(gen);
    if (costs) {
      in.c[i] = static_cast<float>(1 + gen() % 16);
      in.v[i] *= in.c[i];
    }
  }
  return in;
}

class SoftTopKCudaTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string reason;
    if (!cu::DeviceAvailable(&reason)) GTEST_SKIP() << reason;
  }
};

TEST_P(SoftTopKCudaTest, MatchesCpu) {
  const bool with_costs = GetParam();
  const int64_t n = 300001;
  const Inputs in = MakeInputs(n, with_costs, 42);
  const float* c_host = with_costs ? in.c.data() : nullptr;
  double total = with_costs ? 0.0 : static_cast<double>(n);
  for (float x : in.c) total += x;
  const double budget = 0.1 * total;
  SoftTopKOptions o;
  o.beta = 20.0 / 0.05;

  std::vector<float> cpu_mask(n), cpu_grad(n), cpu_hard(n), cpu_u(n);
  const SoftTopKStats cpu_stats =
      kernels::cpu::SoftTopKForward(in.v.data(), c_host, n, budget, o, cpu_mask.data());
  kernels::cpu::SoftTopKBackward(in.g.data(), cpu_mask.data(), c_host, n, o.beta,
                                 cpu_grad.data());
  for (int64_t i = 0; i < n; ++i) cpu_u[i] = with_costs ? in.v[i] / in.c[i] : in.v[i];
  const TopKThreshold cpu_t = kernels::cpu::FindTopKThreshold(cpu_u.data(), c_host, n, budget);
  kernels::cpu::HardTopKMask(cpu_u.data(), c_host, n, budget, cpu_t, cpu_hard.data());

  DeviceArray v(in.v), g(in.g), u(cpu_u), mask(n), grad(n), hard(n);
  std::unique_ptr<DeviceArray> c;
  if (with_costs) c = std::make_unique<DeviceArray>(in.c);
  const float* c_dev = with_costs ? c->get() : nullptr;
  const SoftTopKStats gpu_stats = cu::SoftTopKForward(v.get(), c_dev, n, budget, o, mask.get());
  cu::SoftTopKBackward(g.get(), mask.get(), c_dev, n, o.beta, grad.get());
  const TopKThreshold gpu_t = cu::FindTopKThreshold(u.get(), c_dev, n, budget);
  cu::HardTopKMask(u.get(), c_dev, n, budget, gpu_t, hard.get());

  EXPECT_EQ(gpu_t.tau, cpu_t.tau);
  EXPECT_EQ(gpu_t.num_above, cpu_t.num_above);
  EXPECT_EQ(gpu_stats.iterations, cpu_stats.iterations);
  EXPECT_NEAR(gpu_stats.mask_cost, cpu_stats.mask_cost, 1e-3 * budget);
  const std::vector<float> gm = mask.Read(), gg = grad.Read(), gh = hard.Read();
  double max_grad = 0.0;
  for (float x : cpu_grad) max_grad = std::max<double>(max_grad, std::abs(x));
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_NEAR(gm[i], cpu_mask[i], 1e-4) << i;                 // tolerance: float exp/sums
    ASSERT_NEAR(gg[i], cpu_grad[i], 1e-3 * max_grad) << i;
    ASSERT_EQ(gh[i], cpu_hard[i]) << i;                         // exact
  }
}

INSTANTIATE_TEST_SUITE_P(UnitAndGeneralCosts, SoftTopKCudaTest, ::testing::Bool());
#endif

}  // namespace
}  // namespace repro
