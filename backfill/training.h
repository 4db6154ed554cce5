// Training of every model of the backfilling tables, each cached under the hash of what determines
// it (common/results/cache_path.h), so a model shared by several tables or settings trains once:
//   - backbones φᵒ, φⁿ: cross-entropy through common/train's TrainClassifier;
//   - BCT (Shen et al. 2020): its own loop, L = CE(w_bct φ(x), y) + λ · CE(w_old φ(x), y) on the
//     images of the old model's classes, w_old the old model's frozen classifier;
//   - ψ (reverse transformation): MSE ||ψ(φⁿ(x)) − φᵒ(x)||² on frozen embeddings, Adam;
//   - MCL: ψ (and ρ) fine-tuned from the RT solution with MSE + λ · L_MCL (mcl_loss.h).
#ifndef BACKFILL_TRAINING_H_
#define BACKFILL_TRAINING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backfill/config.pb.h"
#include "backfill/mcl_loss.h"
#include "backfill/transforms.h"
#include "common/data/labeled_images.h"
#include "common/models/classifier.h"
#include "common/port/torch.h"

namespace repro::backfill {

// Where and under which key a model is cached. An empty dir disables caching.
struct CacheKey {
  std::string dir;
  std::string name;  // file name stem, e.g. "new", "old-open-class", "psi-open-class"
  std::string text;  // everything that determines the model (config parts, data, seed)
};

// The training images of `spec`: its classes (all when empty) and a seeded share of each.
LabeledImages BackboneTrainingData(const Backbone& spec, const LabeledImages& train,
                                   uint64_t seed);

// Trains (or loads from spec.checkpoint, or from the cache) a backbone. `config_path` and `field`
// name the config in errors.
absl::StatusOr<std::shared_ptr<Classifier>> TrainOrLoadBackbone(
    const Backbone& spec, const LabeledImages& train, uint64_t seed, const CacheKey& cache,
    const std::string& config_path, const std::string& field);

// The BCT model: the architecture of `new_spec` with the old model's embedding width, trained on
// new_spec's data with the influence loss through `old_model`'s classifier (frozen) on the images
// whose label is in `old_classes` (all when empty).
absl::StatusOr<std::shared_ptr<Classifier>> TrainOrLoadBct(
    const Backbone& new_spec, Classifier& old_model, const std::vector<int64_t>& old_classes,
    double influence_weight, const LabeledImages& train, uint64_t seed, const CacheKey& cache,
    const std::string& config_path);

// Paired frozen embeddings of the same training images.
struct EmbeddingPairs {
  torch::Tensor new_embeddings;  // [N, d_new]: φⁿ(x)
  torch::Tensor old_embeddings;  // [N, d_old]: φᵒ(x)
  torch::Tensor labels;          // [N] int64
};

// ψ trained with MSE (or loaded from spec.checkpoint, which must fit d_new -> d_old).
absl::StatusOr<ReverseTransform> TrainOrLoadPsi(const Psi& spec, const EmbeddingPairs& data,
                                                bool normalize, uint64_t seed,
                                                const CacheKey& cache,
                                                const std::string& config_path);

struct MclModels {
  ReverseTransform psi{nullptr};
  NewEmbedding rho{nullptr};  // null unless a learnable new embedding was asked for
};

// ψ fine-tuned from `rt` with MSE + λ·L_MCL(variant); with `rho_spec`, a learnable new embedding
// ρ trained jointly (the new space of the loss is then ρ(φⁿ(x))).
// What each variant trains (gradients of L_MCL; ψ also gets the MSE term's):
//   - without ρ the new-space distances are between frozen φⁿ embeddings, constant in ψ: 'separate'
//     gives ψ exactly the gradients of 'old-only' (the same ψ, bit for bit), and 'new-only' trains
//     ψ by MSE alone;
//   - with ρ, 'old-only' has no term in ρ (ρ stays the identity it starts as), 'new-only' and
//     'separate' train ρ by the new-space softmax alone ('separate' has no term in both ψ and ρ, so
//     its ψ is 'old-only''s), and only 'joint' couples them: ψ's old-space distances and ρ's
//     new-space ones share one softmax.
// training_test checks these properties.
absl::StatusOr<MclModels> TrainOrLoadMcl(const Mcl& spec, MclVariant variant,
                                         const NewEmbeddingSpec* rho_spec, ReverseTransform rt,
                                         const EmbeddingPairs& data, bool normalize,
                                         uint64_t seed, const CacheKey& cache);

// The loss variant of its config enum.
MclVariant ToMclVariant(MclLossVariant variant);

// Initial weights. Building a model draws its initial weights from LibTorch's process-wide default
// generator (after SeedEverything(MixSeed(seed, init stream, k)), one k per kind of model), which
// other threads overwrite at any time: TrainClassifier reseeds it when a training starts and a
// checkpoint load restores it. So every model above gets the initial weights of a reference built
// once per (kind, architecture, seed), under a process-wide lock, and memoized; runs of several
// seeds at once first build all their references on one thread (PrebuildInitialWeights) and then
// forbid new ones (PrebuiltInitOnly), so a model's initial weights never depend on what other
// threads do, and equal those of a run alone. Training itself draws only from per-run generators
// (batches, augmentation, ψ/MCL shuffles); dropout, the one other user of the default generator,
// is not allowed in concurrent runs (UsesDropout).

// Builds the reference initial weights of every model that `seed` of `config` may train: the new
// model, and per setting the old model, BCT, ψ and ρ. Errors (a bad model config) are left to the
// training, which reports them with the config field.
void PrebuildInitialWeights(const Config& config, uint64_t seed);

// While one is alive, a model whose reference was not prebuilt fails (TORCH_CHECK) instead of
// drawing it from a default generator that other threads may be using.
class PrebuiltInitOnly {
 public:
  PrebuiltInitOnly();
  ~PrebuiltInitOnly();
  PrebuiltInitOnly(const PrebuiltInitOnly&) = delete;
  PrebuiltInitOnly& operator=(const PrebuiltInitOnly&) = delete;
};

// Whether any backbone of `config` has dropout (which draws from the default generator).
bool UsesDropout(const Config& config);

}  // namespace repro::backfill

#endif  // BACKFILL_TRAINING_H_
