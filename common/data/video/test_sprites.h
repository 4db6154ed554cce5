// Test sprite pools for the video data tests: `per_class` 28x28 images of each of the 10
// Fashion-MNIST classes, each a filled 20x20 square of brightness `value` (so tests can tell which
// pool a video's sprites came from).
#ifndef COMMON_DATA_VIDEO_TEST_SPRITES_H_
#define COMMON_DATA_VIDEO_TEST_SPRITES_H_

#include "common/data/labeled_images.h"
#include "common/port/torch.h"

namespace repro {
namespace testing {

inline LabeledImages SquareSprites(float value, int per_class = 2) {
  LabeledImages pool;
  pool.images = torch::zeros({10 * per_class, 1, 28, 28});
  pool.images.slice(2, 4, 24).slice(3, 4, 24).fill_(value);
  pool.labels = torch::arange(10 * per_class, torch::kInt64).remainder(10);
  return pool;
}

}  // namespace testing
}  // namespace repro

#endif  // COMMON_DATA_VIDEO_TEST_SPRITES_H_
