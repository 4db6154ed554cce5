// One training run of a Spartan table from its typed config: the sparsifier settings (base merged
// with a row's overrides) become SparsifierOptions, the model and recipe come from common/config,
// and the finished run's record is cached under --cache_dir, keyed by everything that determines
// it (model, recipe, sparsity settings, data, seed), so tables that share a run (e.g.
// Spartan at 90% in spartan_resnet, spartan_ablation and spartan_flops) train it once.
#ifndef SPARTAN_RUN_H_
#define SPARTAN_RUN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/data/labeled_images.h"
#include "common/models/classifier.h"
#include "common/port/torch.h"
#include "spartan/config.pb.h"
#include "spartan/sparsifier.h"

namespace repro::spartan {

// `base` with every field that `override` sets replaced.
SparsityConfig Merged(const SparsityConfig& base, const SparsityConfig& override);

// The sparsifier options of `config` (total_steps and seed are the trainer's). Errors name the
// config file and field.
absl::StatusOr<SparsifierOptions> ToSparsifierOptions(const SparsityConfig& config,
                                                      const std::string& path,
                                                      const std::string& field);

// Checks the shared setup (model, recipe, evaluation batch) of a table config.
absl::Status ValidateSetup(const Setup& setup, const std::string& path);

// Checks sparsity settings against the setup's model before anything trains: builds the model
// once and a sparsifier per settings (block shapes dividing the weights, layer_costs matching the
// masked layers, a reachable target), so bad input fails with one line naming the file and field.
class SparsityChecker {
 public:
  static absl::StatusOr<SparsityChecker> Create(const Setup& setup);
  absl::Status Check(const SparsityConfig& sparsity, const std::string& path,
                     const std::string& field) const;

 private:
  std::shared_ptr<Classifier> model_;
};

struct RunContext {
  LabeledImages train;
  LabeledImages test;
  std::string data_key;  // what identifies the data (set, limits) in cache keys
  std::string cache_dir;
  int threads = 0;  // concurrent runs; 0: all hardware threads
};

// A freshly initialised model of the setup (from the current torch seed).
absl::StatusOr<std::shared_ptr<Classifier>> MakeSetupModel(const Setup& setup);

struct RunRequest {
  Setup setup;
  SparsityConfig sparsity;
  uint64_t seed = 0;
  std::string label;  // for logs
};

// Trains (or reads back from the cache) one run. Single-threaded: call it from a worker (RunAll).
absl::StatusOr<RunRecord> RunOnce(const RunRequest& request, const RunContext& context);

// Runs every request, `context.threads` at a time (0: all hardware threads), each on one intra-op
// thread, so the numbers do not depend on the thread count; returns the records in request order
// or the first error. Restores the caller's intra-op thread count.
absl::StatusOr<std::vector<RunRecord>> RunAll(const std::vector<RunRequest>& requests,
                                              const RunContext& context);

// "dense", "Spartan", ... for a config method.
std::string MethodLabel(SparsityMethod method);

}  // namespace repro::spartan

#endif  // SPARTAN_RUN_H_
