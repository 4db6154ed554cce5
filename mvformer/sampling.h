// CARL's `time_augment` temporal sampling for one view of a video (spec §4), as Penn Action,
// Pouring and K400 use it: with n = min(L, T) and r ~ U(1, r_max), block = ceil(r L) (so the offset
// is always 0); n sorted frame indices are drawn uniformly without replacement from [0, block);
// indices >= L are padding (masked), as are the T - n entries that pad a video shorter than T.
// Padded entries load the last frame (so features exist), and are masked in attention and loss.
#ifndef MVFORMER_SAMPLING_H_
#define MVFORMER_SAMPLING_H_

#include <cstdint>

#include "common/port/torch.h"

namespace repro::mvformer {

struct ViewSample {
  torch::Tensor frames;  // [T] int64: the frame to load for each entry (clamped to [0, L - 1])
  torch::Tensor steps;   // [T] float: the sampled frame index (the SCL loss's s_i)
  torch::Tensor valid;   // [T] bool: false for padding
};

ViewSample TimeAugmentSample(int64_t length, int64_t num_frames, double sampling_region,
                             torch::Generator& generator);

}  // namespace repro::mvformer

#endif  // MVFORMER_SAMPLING_H_
