// The trained models of one BT² table and seed: each is loaded from the model cache (or from the
// checkpoint its config names) or trained, after the models it depends on (its old model and, for
// BT², its teacher φ'_new), whose embeddings of its training images become its frozen targets.
// Cache files are keyed by ModelCacheKey, so a model shared by several tables (the old model,
// the independent new model, the BT² default) trains once.
#ifndef BT2_MODEL_ZOO_H_
#define BT2_MODEL_ZOO_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "bt2/config.pb.h"
#include "bt2/data.h"
#include "bt2/models.h"
#include "common/port/torch.h"

namespace repro::bt2 {

// Not thread-safe: use one zoo per thread (different zoos may train concurrently).
class ModelZoo {
 public:
  // `config` and `data` must outlive the zoo. An empty cache_dir disables the cache.
  ModelZoo(const TableConfig& config, std::string config_path, const Bt2Data& data,
           std::string cache_dir, std::string log_prefix);

  // The trained model `name` for `seed`.
  absl::StatusOr<std::shared_ptr<EmbeddingModel>> Get(const std::string& name, uint64_t seed);

  // Its embeddings of the test images, [N_test, embedding width].
  absl::StatusOr<torch::Tensor> TestEmbeddings(const std::string& name, uint64_t seed);

  // One line per model and seed: trained (steps, samples/s, seconds) or loaded from where.
  const std::vector<std::string>& log() const { return log_; }
  // Total seconds spent training in this zoo.
  double training_seconds() const { return training_seconds_; }

 private:
  absl::StatusOr<std::shared_ptr<EmbeddingModel>> Build(const ModelSpec& spec, uint64_t seed);

  const TableConfig& config_;
  std::string config_path_;
  const Bt2Data& data_;
  std::string cache_dir_;
  std::string log_prefix_;
  std::map<std::pair<std::string, uint64_t>, std::shared_ptr<EmbeddingModel>> models_;
  std::map<std::pair<std::string, uint64_t>, torch::Tensor> test_embeddings_;
  std::vector<std::string> log_;
  double training_seconds_ = 0;
};

// Loads a user-given checkpoint into `model` (model `spec` of the config at `config_path`), with
// one clear line on failure: a missing file, or a checkpoint that does not fit the description
// (e.g. another embedding width).
absl::Status LoadModelCheckpoint(const std::string& checkpoint, const ModelSpec& spec,
                                 const std::string& config_path, EmbeddingModel& model);

}  // namespace repro::bt2

#endif  // BT2_MODEL_ZOO_H_
