// Conv output sizes through an ATen RecordFunction observer (flop_count.h).
#include "spartan/flop_count.h"

#include <memory>
#include <unordered_map>

#include <ATen/record_function.h>

#include "absl/strings/str_cat.h"

namespace repro::spartan {
namespace {

// Where the observer writes: weight TensorImpl → output H·W. One measurement at a time per thread.
struct ConvObservations {
  std::unordered_map<const c10::TensorImpl*, int64_t> output_size;
};
thread_local ConvObservations* current_observations = nullptr;

void OnConvEnd(const at::RecordFunction& fn, at::ObserverContext*) {
  if (current_observations == nullptr) return;
  const std::string_view name = fn.name();
  if (name != "aten::conv2d") return;
  const auto inputs = fn.inputs();
  const auto& outputs = fn.outputs();
  if (inputs.size() < 2 || outputs.empty() || !inputs[1].isTensor() || !outputs[0].isTensor()) {
    return;
  }
  const at::Tensor out = outputs[0].toTensor();
  if (out.dim() < 2) return;
  const int64_t spatial = out.size(-1) * out.size(-2);
  current_observations->output_size[inputs[1].toTensor().unsafeGetTensorImpl()] = spatial;
}

}  // namespace

absl::StatusOr<std::map<std::string, int64_t>> MeasureConvOutputSizes(
    torch::nn::Module& module, const std::function<void()>& forward) {
  std::map<std::string, const c10::TensorImpl*> convs;
  for (const auto& item : module.named_modules()) {
    if (auto* conv = item.value()->as<torch::nn::Conv2d>()) {
      convs[item.key()] = conv->weight.unsafeGetTensorImpl();
    }
  }
  ConvObservations observations;
  current_observations = &observations;
  const at::CallbackHandle handle = at::addThreadLocalCallback(
      at::RecordFunctionCallback(nullptr, &OnConvEnd)
          .needsInputs(true)
          .needsOutputs(true)
          .scopes({at::RecordScope::FUNCTION}));
  {
    torch::NoGradGuard no_grad;
    forward();
  }
  at::removeCallback(handle);
  current_observations = nullptr;
  std::map<std::string, int64_t> sizes;
  for (const auto& [name, impl] : convs) {
    const auto it = observations.output_size.find(impl);
    if (it == observations.output_size.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "FLOP cost model: Conv2d '", name,
          "' was not called by the sample forward pass, so its output size is unknown"));
    }
    sizes[name] = it->second;
  }
  return sizes;
}

}  // namespace repro::spartan
