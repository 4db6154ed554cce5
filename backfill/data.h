// The data of a backfilling table: the images the models train on, the gallery, the queries and
// the evaluation's labels and exclusions (protocol.h), for each data set of the paper
// (backfill.md §3.1):
//   - Fashion-MNIST (cpu scale, §8.1): train on the 60k training images; gallery = the 10k test
//     images; queries = queries_per_class test images per class (seeded), each left out of its own
//     ranking;
//   - CIFAR-100 (binary release): the same protocol over its 10k test images;
//   - Market-1501: train on bounding_box_train; its own query split against bounding_box_test,
//     with the same-camera and junk exclusion of re-ID (common/data/market1501.h).
// Gallery ids are the gallery's row indices 0..G-1.
#ifndef BACKFILL_DATA_H_
#define BACKFILL_DATA_H_

#include <string>

#include "absl/status/statusor.h"
#include "backfill/config.pb.h"
#include "backfill/protocol.h"
#include "common/data/labeled_images.h"
#include "common/results/registry.h"

namespace repro::backfill {

struct BackfillData {
  LabeledImages train;
  LabeledImages gallery;
  LabeledImages queries;
  EvaluationSetup setup;  // labels, ids, self ids, ignore mask, distance, CMC ranks
  std::string description;
  // Identifies the data (set, path, limits) in the cache keys of the models trained on it.
  std::string key;
};

// Loads and prepares the data set of `config` (its experiment.data and protocol). Errors name the
// data set and path (with what to install or pass), or the config field.
absl::StatusOr<BackfillData> LoadBackfillData(const Config& config, const TableRun& run);

// The fixed queries: `per_class` rows of each label of `labels` [N], drawn with `seed`, in
// ascending row order ([Q] int64). per_class <= 0: every row.
torch::Tensor SampleQueries(const torch::Tensor& labels, int64_t per_class, uint64_t seed);

}  // namespace repro::backfill

#endif  // BACKFILL_DATA_H_
