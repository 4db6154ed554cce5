#include "common/train/augment.h"

namespace repro {

torch::Tensor RandomCropAndFlip(const torch::Tensor& images, int64_t padding, bool flip,
                                torch::Generator& generator) {
  TORCH_CHECK(images.dim() == 4, "RandomCropAndFlip: expected [B, C, H, W], got ", images.sizes());
  TORCH_CHECK(padding >= 0, "RandomCropAndFlip: padding must be >= 0, got ", padding);
  if (padding == 0 && !flip) return images;
  const int64_t batch = images.size(0), channels = images.size(1);
  const int64_t height = images.size(2), width = images.size(3);
  const int64_t padded_h = height + 2 * padding, padded_w = width + 2 * padding;
  const auto long_options = torch::TensorOptions().dtype(torch::kLong);

  // Per-image offsets and flip coins.
  const torch::Tensor dy = torch::randint(0, 2 * padding + 1, {batch}, generator, long_options);
  const torch::Tensor dx = torch::randint(0, 2 * padding + 1, {batch}, generator, long_options);
  torch::Tensor cols = torch::arange(width, long_options).unsqueeze(0).expand({batch, width});
  if (flip) {
    const torch::Tensor coin =
        torch::randint(0, 2, {batch, 1}, generator, long_options).to(torch::kBool);
    cols = torch::where(coin, (width - 1) - cols, cols);
  }
  const torch::Tensor rows = torch::arange(height, long_options).unsqueeze(0) + dy.unsqueeze(1);
  cols = cols + dx.unsqueeze(1);
  // Linear index into each padded [padded_h, padded_w] plane: [B, H, W] -> [B, C, H * W].
  const torch::Tensor index = (rows.unsqueeze(2) * padded_w + cols.unsqueeze(1))
                                  .view({batch, 1, height * width})
                                  .expand({batch, channels, height * width});
  const torch::Tensor padded =
      padding > 0 ? torch::constant_pad_nd(images, {padding, padding, padding, padding}, 0.0)
                  : images.contiguous();
  return torch::gather(padded.view({batch, channels, padded_h * padded_w}), 2, index)
      .view({batch, channels, height, width});
}

torch::Tensor Normalize(const torch::Tensor& images, const Normalization& normalization) {
  if (!normalization.enabled()) return images;
  TORCH_CHECK(images.dim() == 4, "Normalize: expected [B, C, H, W], got ", images.sizes());
  const int64_t channels = images.size(1);
  const auto& mean = normalization.mean;
  const auto& std = normalization.std;
  TORCH_CHECK(mean.size() == std.size() &&
                  (mean.size() == 1 || static_cast<int64_t>(mean.size()) == channels),
              "Normalize: need one mean/std or one per channel (", channels, "), got ",
              mean.size(), " and ", std.size());
  for (double s : std) TORCH_CHECK(s > 0, "Normalize: std must be positive, got ", s);
  const auto options = images.options();
  const torch::Tensor m =
      torch::tensor(mean, torch::kDouble).to(options.dtype()).view({1, -1, 1, 1});
  const torch::Tensor s = torch::tensor(std, torch::kDouble).to(options.dtype()).view({1, -1, 1, 1});
  return (images - m) / s;
}

torch::Tensor Augment(const torch::Tensor& images, const AugmentOptions& options,
                      torch::Generator& generator) {
  torch::Tensor out =
      RandomCropAndFlip(images, options.crop_padding, options.horizontal_flip, generator);
  return Normalize(out, options.normalize);
}

}  // namespace repro
