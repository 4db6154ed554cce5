// Batched, vectorised image augmentation on [B, C, H, W] float tensors: random crop with zero
// padding and random horizontal flip in one gather, then per-channel normalisation. All random draws
// come from the caller's torch::Generator, so a step's augmentation is a function of its seed.
//
//   AugmentOptions o;
//   o.crop_padding = 2; o.horizontal_flip = true;
//   torch::Generator g = MakeGenerator(seed, kAugmentStream, step);
//   torch::Tensor x = Augment(batch.images, o, g);  // [B, C, H, W]
#ifndef COMMON_TRAIN_AUGMENT_H_
#define COMMON_TRAIN_AUGMENT_H_

#include <cstdint>
#include <vector>

#include "common/port/torch.h"

namespace repro {

// Per-channel (x - mean) / std; empty vectors mean no normalisation. One value applies to all
// channels.
struct Normalization {
  std::vector<double> mean;
  std::vector<double> std;
  bool enabled() const { return !mean.empty(); }
};

struct AugmentOptions {
  int64_t crop_padding = 0;      // > 0: pad by this many zeros, then crop back to H x W at random
  bool horizontal_flip = false;  // flip each image left-right with probability 1/2
  Normalization normalize;       // applied last (also at evaluation time)
};

// Random crop: out[b, c, i, j] = padded[b, c, i + dy_b, j + dx_b] with dy_b, dx_b uniform in
// [0, 2 * padding], where padded is the image with `padding` zeros on each side; with `flip`,
// column j reads W - 1 - j for the images whose coin came up. One gather for the whole batch.
// Draws dy, dx (then the coins) from `generator`.
torch::Tensor RandomCropAndFlip(const torch::Tensor& images, int64_t padding, bool flip,
                                torch::Generator& generator);

// (images - mean[c]) / std[c]; returns `images` unchanged when normalisation is disabled.
torch::Tensor Normalize(const torch::Tensor& images, const Normalization& normalization);

// The whole training augmentation: RandomCropAndFlip (when enabled), then Normalize.
torch::Tensor Augment(const torch::Tensor& images, const AugmentOptions& options,
                      torch::Generator& generator);

}  // namespace repro

#endif  // COMMON_TRAIN_AUGMENT_H_
