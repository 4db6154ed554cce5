// The data of the BT² tables: the training and test images of the config's data set, normalised
// as the spec says (Fashion-MNIST: mean 0.2860, std 0.3530, no augmentation, so the precomputed
// targets of §2.3 are exact), the training subsets of each model, and the fixed retrieval queries.
#ifndef BT2_DATA_H_
#define BT2_DATA_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "bt2/config.pb.h"
#include "bt2/models.h"
#include "common/data/labeled_images.h"
#include "common/port/torch.h"
#include "common/results/registry.h"
#include "experiments/experiment.pb.h"

namespace repro::bt2 {

struct Bt2Data {
  LabeledImages train;  // normalised images [N, C, H, W], labels [N]
  LabeledImages test;   // query = gallery set
  int64_t num_classes = 0;
  InputShape input;
};

// Reads the config's data set, keeps the first max_train / max_test items when set, and
// normalises: Fashion-MNIST (from --fashion_mnist_dir unless the config gives a path), CIFAR-100
// (the binary archive's folder, <data_dir>/cifar100; fine labels; ImageNet mean/std as the official
// code) or ImageNet-1k (ImageFolder trees <data_dir>/imagenet1k/{train,val}, Resize(256) +
// CenterCrop(224)). Repeated calls with the same folder and limits share one copy.
absl::StatusOr<Bt2Data> LoadBt2Data(const repro::Experiment& experiment, const TableRun& run);

// (images − mean) / std per channel; `mean` and `std` have one value per channel.
torch::Tensor NormalizeImages(const torch::Tensor& images, const std::vector<double>& mean,
                              const std::vector<double>& std);

// The training images of one model: the classes of `subset` (all when empty), then a seeded
// share `fraction` of each class (all when 0 or 1).
LabeledImages TrainSubset(const LabeledImages& train, const Subset& subset, uint64_t seed);

// The fixed queries: indices [Q] int64 of the first `per_class` items of each class, in data order
// (all items when per_class is 0).
torch::Tensor FixedQueries(const torch::Tensor& labels, int64_t per_class);

}  // namespace repro::bt2

#endif  // BT2_DATA_H_
