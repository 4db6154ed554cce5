// Dispatcher and autograd function of the soft top-k op (soft_topk.h): checks the inputs once,
// then runs the CPU kernels (cpu/) or, for CUDA tensors in a --config=cuda build, the CUDA kernels
// (cuda/).
#include "common/kernels/soft_topk.h"

#include <cmath>

#include "common/kernels/cpu/soft_topk_cpu.h"
#ifdef REPRO_WITH_CUDA
#include "common/kernels/cuda/soft_topk_cuda.h"
#endif

namespace repro {
namespace {

// Checks the inputs and returns contiguous float32 views (costs stays undefined for unit costs).
std::pair<torch::Tensor, torch::Tensor> CheckedInputs(const torch::Tensor& values,
                                                      const torch::Tensor& costs, double budget,
                                                      const char* op) {
  TORCH_CHECK(values.defined() && values.numel() > 0, op, ": values must be a non-empty tensor");
  TORCH_CHECK(values.scalar_type() == torch::kFloat, op, ": values must be float32, got ",
              values.scalar_type());
  TORCH_CHECK(std::isfinite(budget) && budget > 0.0, op, ": budget must be > 0, got ", budget);
  torch::Tensor v = values.detach().contiguous();
  torch::Tensor c;
  if (costs.defined()) {
    TORCH_CHECK(costs.sizes() == values.sizes(), op, ": costs must have the shape of values (",
                values.sizes(), "), got ", costs.sizes());
    TORCH_CHECK(costs.scalar_type() == torch::kFloat, op, ": costs must be float32");
    TORCH_CHECK(costs.device() == values.device(), op, ": costs and values on different devices");
    c = costs.detach().contiguous();
    TORCH_CHECK(c.gt(0).logical_and(c.isfinite()).all().item<bool>(), op,
                ": costs must be finite and > 0");
  }
  TORCH_CHECK(v.isfinite().all().item<bool>(), op, ": values must be finite");
  return {v, c};
}

const float* DataOrNull(const torch::Tensor& t) {
  return t.defined() ? t.data_ptr<float>() : nullptr;
}

SoftTopKStats ForwardKernel(const torch::Tensor& v, const torch::Tensor& c, double budget,
                            const SoftTopKOptions& options, torch::Tensor& mask) {
  if (v.is_cuda()) {
#ifdef REPRO_WITH_CUDA
    return kernels::cuda::SoftTopKForward(v.data_ptr<float>(), DataOrNull(c), v.numel(), budget,
                                          options, mask.data_ptr<float>());
#else
    TORCH_CHECK(false, "SoftTopK: CUDA tensor given, but this build has no CUDA kernels "
                       "(build with --config=cuda)");
#endif
  }
  return kernels::cpu::SoftTopKForward(v.data_ptr<float>(), DataOrNull(c), v.numel(), budget,
                                       options, mask.data_ptr<float>());
}

// Custom autograd function: forward runs the Sinkhorn kernel, backward the implicit gradient.
class SoftTopKFunction : public torch::autograd::Function<SoftTopKFunction> {
 public:
  // `costs` is passed by pointer: it takes no gradient and may be undefined (unit costs), which
  // autograd's tensor arguments do not allow.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& values,
                               const torch::Tensor* costs, double budget,
                               const SoftTopKOptions& options, SoftTopKStats* stats) {
    auto [v, c] = CheckedInputs(values, *costs, budget, "SoftTopK");
    TORCH_CHECK(std::isfinite(options.beta) && options.beta > 0.0,
                "SoftTopK: beta must be > 0, got ", options.beta);
    TORCH_CHECK(options.max_iters >= 1, "SoftTopK: max_iters must be >= 1");
    TORCH_CHECK(options.tol >= 0.0, "SoftTopK: tol must be >= 0");
    torch::Tensor mask = torch::empty_like(v);
    const SoftTopKStats s = ForwardKernel(v, c, budget, options, mask);
    if (stats != nullptr) *stats = s;
    ctx->save_for_backward(c.defined() ? torch::autograd::variable_list{mask, c}
                                       : torch::autograd::variable_list{mask});
    ctx->saved_data["beta"] = options.beta;
    return mask;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const double beta = ctx->saved_data["beta"].toDouble();
    torch::Tensor grad_values = SoftTopKBackward(grad_outputs[0], saved[0],
                                                 saved.size() > 1 ? saved[1] : torch::Tensor(),
                                                 beta);
    return {grad_values, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor SoftTopK(const torch::Tensor& values, const torch::Tensor& costs, double budget,
                       const SoftTopKOptions& options, SoftTopKStats* stats) {
  return SoftTopKFunction::apply(values, &costs, budget, options, stats);
}

TopKThreshold FindTopKThreshold(const torch::Tensor& values, const torch::Tensor& costs,
                                double budget) {
  auto [v, c] = CheckedInputs(values, costs, budget, "FindTopKThreshold");
  torch::Tensor u = c.defined() ? v / c : v;
  if (u.is_cuda()) {
#ifdef REPRO_WITH_CUDA
    return kernels::cuda::FindTopKThreshold(u.data_ptr<float>(), DataOrNull(c), u.numel(), budget);
#else
    TORCH_CHECK(false, "FindTopKThreshold: this build has no CUDA kernels");
#endif
  }
  return kernels::cpu::FindTopKThreshold(u.data_ptr<float>(), DataOrNull(c), u.numel(), budget);
}

torch::Tensor HardTopKMask(const torch::Tensor& values, const torch::Tensor& costs,
                           double budget) {
  auto [v, c] = CheckedInputs(values, costs, budget, "HardTopKMask");
  torch::Tensor u = c.defined() ? v / c : v;
  torch::Tensor mask = torch::empty_like(u);
  if (u.is_cuda()) {
#ifdef REPRO_WITH_CUDA
    const TopKThreshold t =
        kernels::cuda::FindTopKThreshold(u.data_ptr<float>(), DataOrNull(c), u.numel(), budget);
    kernels::cuda::HardTopKMask(u.data_ptr<float>(), DataOrNull(c), u.numel(), budget, t,
                                mask.data_ptr<float>());
    return mask;
#else
    TORCH_CHECK(false, "HardTopKMask: this build has no CUDA kernels");
#endif
  }
  const TopKThreshold t =
      kernels::cpu::FindTopKThreshold(u.data_ptr<float>(), DataOrNull(c), u.numel(), budget);
  kernels::cpu::HardTopKMask(u.data_ptr<float>(), DataOrNull(c), u.numel(), budget, t,
                             mask.data_ptr<float>());
  return mask;
}

torch::Tensor SoftTopKBackward(const torch::Tensor& grad_mask, const torch::Tensor& mask,
                               const torch::Tensor& costs, double beta) {
  TORCH_CHECK(grad_mask.sizes() == mask.sizes(), "SoftTopKBackward: gradient shape ",
              grad_mask.sizes(), " does not match the mask ", mask.sizes());
  torch::Tensor g = grad_mask.to(torch::kFloat).contiguous();
  torch::Tensor m = mask.contiguous();
  torch::Tensor c = costs.defined() ? costs.contiguous() : costs;
  torch::Tensor grad_values = torch::empty_like(m);
  if (m.is_cuda()) {
#ifdef REPRO_WITH_CUDA
    kernels::cuda::SoftTopKBackward(g.data_ptr<float>(), m.data_ptr<float>(), DataOrNull(c),
                                    m.numel(), beta, grad_values.data_ptr<float>());
    return grad_values;
#else
    TORCH_CHECK(false, "SoftTopKBackward: this build has no CUDA kernels");
#endif
  }
  kernels::cpu::SoftTopKBackward(g.data_ptr<float>(), m.data_ptr<float>(), DataOrNull(c),
                                 m.numel(), beta, grad_values.data_ptr<float>());
  return grad_values;
}

}  // namespace repro
