// Turns the typed training recipe (train.proto) into common/train's TrainOptions, after checking
// it: a bad value gives one error naming the config file and the field.
#ifndef COMMON_CONFIG_TRAIN_OPTIONS_H_
#define COMMON_CONFIG_TRAIN_OPTIONS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config/train.pb.h"
#include "common/train/classifier_trainer.h"

namespace repro {

absl::Status ValidateTrainConfig(const TrainConfig& config, const std::string& path,
                                 const std::string& field);

// The TrainOptions of `config` (seed, checkpoint path and config text are the caller's).
absl::StatusOr<TrainOptions> ToTrainOptions(const TrainConfig& config);

// The normalisation the recipe trains with (to pass to Evaluate/Embed).
Normalization NormalizationOf(const TrainConfig& config);

}  // namespace repro

#endif  // COMMON_CONFIG_TRAIN_OPTIONS_H_
