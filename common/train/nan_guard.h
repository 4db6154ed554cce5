// Stops a run whose loss stopped being finite, saying at which step and where the last good
// checkpoint is, e.g.
//   loss is NaN at step 1234; last good checkpoint kept at /tmp/run/ckpt (step 1000)
#ifndef COMMON_TRAIN_NAN_GUARD_H_
#define COMMON_TRAIN_NAN_GUARD_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace repro {

// OK when `loss` is finite. Otherwise an Aborted status naming NaN or Inf, the (0-based) step, and
// the last checkpoint: `checkpoint_path` with `checkpoint_step`, or that none was written when
// `checkpoint_step` < 0 or the path is empty.
absl::Status CheckLossFinite(double loss, int64_t step, const std::string& checkpoint_path = "",
                             int64_t checkpoint_step = -1);

}  // namespace repro

#endif  // COMMON_TRAIN_NAN_GUARD_H_
