// Builds the shared classifiers (common/models) from their typed config (model.proto), after
// checking it: a bad value gives one error naming the config file and the field.
#ifndef COMMON_CONFIG_MODEL_FACTORY_H_
#define COMMON_CONFIG_MODEL_FACTORY_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config/model.pb.h"
#include "common/models/classifier.h"

namespace repro {

// Checks `config` (from the file `path`; `field` is its name there, e.g. "new_model").
absl::Status ValidateModelConfig(const ModelConfig& config, const std::string& path,
                                 const std::string& field);

// A freshly initialised classifier (initialised from the current torch seed).
absl::StatusOr<std::shared_ptr<Classifier>> MakeClassifier(const ModelConfig& config);

// A short human-readable name, e.g. "ResNet 16/32/64 (1-1-1)", "ViT d48x3 p7", "MLP 256-128".
std::string ModelName(const ModelConfig& config);

}  // namespace repro

#endif  // COMMON_CONFIG_MODEL_FACTORY_H_
