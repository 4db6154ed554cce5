// Clip-consistent photometric and translation augmentation: one draw of parameters per clip, applied
// identically to all its frames (the per-view augmentation of CARL / MV-Former, spec §4 and §10.2:
// "global shift ±4 px, contrast/brightness jitter").
//
//   ClipAugmentation aug = DrawClipAugmentation(ClipAugmentOptions(), seed);
//   torch::Tensor view = ApplyClipAugmentation(frames_float, aug);  // [L, C, H, W] in [0, 1]
#ifndef COMMON_DATA_VIDEO_CLIP_AUGMENT_H_
#define COMMON_DATA_VIDEO_CLIP_AUGMENT_H_

#include <cstdint>

#include "common/port/torch.h"

namespace repro {

struct ClipAugmentOptions {
  int max_shift = 4;               // shift drawn uniformly from [-max_shift, max_shift] per axis
  float contrast_jitter = 0.2f;    // contrast factor from [1 - j, 1 + j]
  float brightness_jitter = 0.1f;  // brightness offset from [-j, j]
};

struct ClipAugmentation {
  int shift_x = 0;
  int shift_y = 0;
  float contrast = 1.0f;
  float brightness = 0.0f;
};

// A deterministic draw from `seed`.
ClipAugmentation DrawClipAugmentation(const ClipAugmentOptions& options, uint64_t seed);

// frames: [L, C, H, W] float in [0, 1] -> same shape: out[y][x] = in[y - shift_y][x - shift_x]
// (edge pixels repeated where the shift uncovers the border), then
// clamp((v - m) * contrast + m + brightness, 0, 1) with m the clip's mean.
torch::Tensor ApplyClipAugmentation(const torch::Tensor& frames, const ClipAugmentation& aug);

}  // namespace repro

#endif  // COMMON_DATA_VIDEO_CLIP_AUGMENT_H_
