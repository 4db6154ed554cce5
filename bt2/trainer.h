// Training of the BT² table models through one loop (the spec's schedule: the learning rate is set
// once per epoch, at its start, warm-up then cosine or constant), with the loss of each kind:
//
//   INDEPENDENT  CE_ls(W φ, y)
//   BCT          CE_ls(W φ, y) + α CE_ls(φ[:d_old] Pᵀ, y)
//   BT2          CE(W_out f, y) + λ1 (1 − <f, φ'_new>) + λ3 (1 − <b̂, φ_old>) + λ2 CE(P b̂, y)
//
// Every run prints its progress and samples/s through common/train's ProgressMeter.
#ifndef BT2_TRAINER_H_
#define BT2_TRAINER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "bt2/config.pb.h"
#include "bt2/models.h"
#include "common/data/labeled_images.h"
#include "common/port/torch.h"

namespace repro::bt2 {

// A freshly initialised model for `spec` (from the current torch seed). old_dim is the old
// model's embedding width (BT2 only).
std::shared_ptr<EmbeddingModel> MakeModel(const ModelSpec& spec, int64_t old_dim,
                                          const InputShape& input, int64_t num_classes);

// The precomputed, frozen inputs of the compatibility losses, one row per training item.
struct TrainTargets {
  torch::Tensor pseudo_classifier;  // BCT, BT2: P [K, d_old]
  torch::Tensor new_targets;        // BT2: φ'_new(x) [N, d_new], unit norm
  torch::Tensor old_targets;        // BT2: φ_old(x) [N, d_old], unit norm
};

struct TrainStats {
  int64_t steps = 0;
  double final_loss = 0;
  double samples_per_second = 0;
  double seconds = 0;
};

// Trains `model` (made by MakeModel for `spec`) on `train`; batches are shuffled with `seed`.
// Stops with an Aborted status if the loss stops being finite.
absl::StatusOr<TrainStats> TrainModel(EmbeddingModel& model, const ModelSpec& spec,
                                      const LabeledImages& train, const TrainTargets& targets,
                                      uint64_t seed, const std::string& label);

// The embeddings of `images` [N, ...] in eval mode, without gradients, `batch_size` at a time:
// [N, model.embedding_dim()].
torch::Tensor EmbedImages(EmbeddingModel& model, const torch::Tensor& images,
                          int64_t batch_size = 1000);

}  // namespace repro::bt2

#endif  // BT2_TRAINER_H_
