// Training checkpoints: model parameters and buffers, optimizer state, the step, the last loss,
// LibTorch's default CPU generator state and the config text, in one file written atomically (temp
// file + fsync + rename), so a killed run leaves either the previous checkpoint or the new one,
// never a torn file. Loading restores all of it, after checking every tensor's name, shape and
// dtype against the model, so a checkpoint of another model is refused with a clear message and
// leaves the model untouched.
//
//   RETURN_IF_ERROR(SaveCheckpoint(path, *model, optimizer.get(), {step, loss, config_text}));
//   ASSIGN_OR_RETURN(CheckpointState state, LoadCheckpoint(path, *model, optimizer.get()));
#ifndef COMMON_TRAIN_CHECKPOINT_H_
#define COMMON_TRAIN_CHECKPOINT_H_

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/port/torch.h"

namespace repro {

struct CheckpointState {
  int64_t step = 0;  // optimizer steps taken so far
  double loss = std::numeric_limits<double>::quiet_NaN();  // loss of the last step taken
  std::string config_text;                                 // the config that produced the run
};

// Writes the checkpoint (parent folders are created). `optimizer` may be null (model only).
absl::Status SaveCheckpoint(const std::string& path, const torch::nn::Module& model,
                            const torch::optim::Optimizer* optimizer, const CheckpointState& state);

// Restores the model's parameters and buffers, the optimizer state (when `optimizer` is not null;
// the checkpoint must then hold one) and the default CPU generator state, and returns the stored
// step, loss and config text. NotFound when there is no file at `path`; DataLoss when the file is
// not a readable checkpoint; FailedPrecondition when it does not fit the model.
absl::StatusOr<CheckpointState> LoadCheckpoint(const std::string& path, torch::nn::Module& model,
                                               torch::optim::Optimizer* optimizer);

bool CheckpointExists(const std::string& path);

}  // namespace repro

#endif  // COMMON_TRAIN_CHECKPOINT_H_
