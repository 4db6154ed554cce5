#include "mvformer/sampling.h"

#include <cmath>

namespace repro::mvformer {

ViewSample TimeAugmentSample(int64_t length, int64_t num_frames, double sampling_region,
                             torch::Generator& generator) {
  TORCH_CHECK(length > 0 && num_frames > 0, "TimeAugmentSample: length and num_frames must be positive");
  TORCH_CHECK(sampling_region >= 1, "TimeAugmentSample: sampling_region must be >= 1");
  const int64_t n = std::min(length, num_frames);
  const double r = 1.0 + (sampling_region - 1.0) * torch::rand({1}, generator, torch::kFloat64).item<double>();
  const int64_t block = std::max<int64_t>(static_cast<int64_t>(std::ceil(r * static_cast<double>(length))), n);
  const torch::Tensor drawn =
      std::get<0>(torch::randperm(block, generator, torch::kInt64).slice(0, 0, n).sort());
  ViewSample sample;
  sample.steps = torch::full({num_frames}, static_cast<float>(length - 1), torch::kFloat32);
  sample.steps.slice(0, 0, n).copy_(drawn);
  sample.valid = torch::zeros({num_frames}, torch::kBool);
  sample.valid.slice(0, 0, n).copy_(drawn.lt(length));
  sample.frames = sample.steps.to(torch::kInt64).clamp_max(length - 1);
  return sample;
}

}  // namespace repro::mvformer
