#include "common/data/video/clip_augment.h"

#include <cstdlib>
#include <random>

namespace repro {

ClipAugmentation DrawClipAugmentation(const ClipAugmentOptions& options, uint64_t seed) {
  std::mt19937_64 engine(seed);
  auto uniform = [&engine] { return static_cast<double>(engine() >> 11) * 0x1.0p-53; };
  auto shift = [&] {
    return static_cast<int>(uniform() * (2 * options.max_shift + 1)) - options.max_shift;
  };
  ClipAugmentation aug;
  aug.shift_x = shift();
  aug.shift_y = shift();
  aug.contrast = static_cast<float>(1.0 + options.contrast_jitter * (2 * uniform() - 1));
  aug.brightness = static_cast<float>(options.brightness_jitter * (2 * uniform() - 1));
  return aug;
}

torch::Tensor ApplyClipAugmentation(const torch::Tensor& frames, const ClipAugmentation& aug) {
  TORCH_CHECK(frames.dim() == 4 && frames.is_floating_point(),
              "ApplyClipAugmentation: expected float [L, C, H, W], got ", frames.sizes());
  const int64_t h = frames.size(2), w = frames.size(3);
  const int64_t pad = std::max(std::abs(aug.shift_x), std::abs(aug.shift_y));
  TORCH_CHECK(pad < h && pad < w, "ApplyClipAugmentation: shift ", pad, " too large for ", h, "x", w);
  torch::Tensor out = frames;
  if (pad > 0) {
    namespace F = torch::nn::functional;
    const torch::Tensor padded =
        F::pad(frames, F::PadFuncOptions({pad, pad, pad, pad}).mode(torch::kReplicate));
    out = padded.slice(2, pad - aug.shift_y, pad - aug.shift_y + h)
              .slice(3, pad - aug.shift_x, pad - aug.shift_x + w);
  }
  const torch::Tensor mean = out.mean();
  return ((out - mean) * aug.contrast + mean + aug.brightness).clamp(0.0, 1.0).contiguous();
}

}  // namespace repro
