#include "bt2/data.h"

#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/data/cifar.h"
#include "common/data/fashion_mnist.h"
#include "common/data/image_folder.h"
#include "experiments/experiment.h"

namespace repro::bt2 {
namespace {

constexpr double kFashionMnistMean = 0.2860;
constexpr double kFashionMnistStd = 0.3530;
// The official code normalises CIFAR-100 and ImageNet with ImageNet's statistics.
const std::vector<double> kImageNetMean = {0.485, 0.456, 0.406};
const std::vector<double> kImageNetStd = {0.229, 0.224, 0.225};

LabeledImages First(const LabeledImages& data, int64_t limit) {
  if (limit <= 0 || limit >= data.size()) return data;
  return Select(data, torch::arange(limit, torch::kInt64));
}

// ImageNet-1k as ImageFolder trees <dir>/train and <dir>/val, decoded as the official test
// transform: Resize(256) (shorter side) + CenterCrop(224). `max_items` > 0 keeps about that many
// items, the first ones of each class.
absl::StatusOr<LabeledImages> LoadImageNetSplit(const std::string& root, int64_t max_items) {
  absl::StatusOr<ImageFolderIndex> index = ScanImageFolder(root);
  if (!index.ok()) {
    return absl::NotFoundError(absl::StrCat("ImageNet-1k split not usable at ", root, ": ",
                                            index.status().message(),
                                            "; pass --data_dir with imagenet1k/{train,val}"));
  }
  if (max_items > 0) {
    const int64_t classes = static_cast<int64_t>(index->class_names.size());
    *index = LimitPerClass(*index, (max_items + classes - 1) / classes);
  }
  ImageDecodeOptions options;
  options.height = options.width = 256;
  options.center_crop = true;
  absl::StatusOr<LabeledImages> images = DecodeImageFolder(*index, options);
  if (!images.ok()) return images.status();
  images->images = images->images.slice(2, 16, 240).slice(3, 16, 240).contiguous();
  return images;
}

}  // namespace

torch::Tensor NormalizeImages(const torch::Tensor& images, const std::vector<double>& mean,
                              const std::vector<double>& std) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == static_cast<int64_t>(mean.size()) &&
                  mean.size() == std.size(),
              "NormalizeImages: expected [N, C, H, W] with one mean/std per channel, got ",
              images.sizes());
  const auto shape = std::vector<int64_t>{1, images.size(1), 1, 1};
  const torch::Tensor m = torch::tensor(mean, torch::kFloat32).reshape(shape);
  const torch::Tensor s = torch::tensor(std, torch::kFloat32).reshape(shape);
  return (images.to(torch::kFloat32) - m) / s;
}

absl::StatusOr<Bt2Data> LoadBt2Data(const repro::Experiment& experiment, const TableRun& run) {
  const repro::DataSet& data = experiment.data();
  const std::string dir = DataPath(data, run);
  using Key = std::tuple<int, std::string, int64_t, int64_t>;
  static std::mutex mutex;
  static std::map<Key, Bt2Data>* loaded = new std::map<Key, Bt2Data>();
  const Key key{data.name(), dir, data.max_train(), data.max_test()};
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = loaded->find(key); it != loaded->end()) return it->second;

  Bt2Data out;
  switch (data.name()) {
    case repro::DataSet::FASHION_MNIST: {
      absl::StatusOr<FashionMnist> fmnist = LoadFashionMnist(dir);
      if (!fmnist.ok()) return fmnist.status();
      out.train = First(fmnist->train, data.max_train());
      out.test = First(fmnist->test, data.max_test());
      out.train.images = NormalizeImages(out.train.images, {kFashionMnistMean}, {kFashionMnistStd});
      out.test.images = NormalizeImages(out.test.images, {kFashionMnistMean}, {kFashionMnistStd});
      out.num_classes = kFashionMnistNumClasses;
      out.input = InputShape{1, 28, 28};
      break;
    }
    case repro::DataSet::CIFAR100: {
      absl::StatusOr<CifarSplits> cifar = LoadCifar100(dir);
      if (!cifar.ok()) return cifar.status();
      out.train = First(cifar->train, data.max_train());
      out.test = First(cifar->test, data.max_test());
      out.train.images = NormalizeImages(out.train.images, kImageNetMean, kImageNetStd);
      out.test.images = NormalizeImages(out.test.images, kImageNetMean, kImageNetStd);
      out.num_classes = 100;
      out.input = InputShape{3, 32, 32};
      break;
    }
    case repro::DataSet::IMAGENET1K: {
      absl::StatusOr<LabeledImages> train = LoadImageNetSplit(dir + "/train", data.max_train());
      if (!train.ok()) return train.status();
      absl::StatusOr<LabeledImages> val = LoadImageNetSplit(dir + "/val", data.max_test());
      if (!val.ok()) return val.status();
      out.train = *train;
      out.test = *val;
      out.train.images = NormalizeImages(out.train.images, kImageNetMean, kImageNetStd);
      out.test.images = NormalizeImages(out.test.images, kImageNetMean, kImageNetStd);
      out.num_classes = out.train.labels.max().item<int64_t>() + 1;
      out.input = InputShape{3, 224, 224};
      break;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "bt2: data set ", repro::DataSet::Name_Name(data.name()),
          " is not one the BT² tables use; use FASHION_MNIST, CIFAR100 or IMAGENET1K"));
  }
  loaded->emplace(key, out);
  return out;
}

LabeledImages TrainSubset(const LabeledImages& train, const Subset& subset, uint64_t seed) {
  LabeledImages out = train;
  if (!subset.classes().empty()) {
    out = FilterClasses(out, {subset.classes().begin(), subset.classes().end()});
  }
  if (subset.fraction() > 0 && subset.fraction() < 1) {
    out = TakeFractionPerClass(out, subset.fraction(), seed);
  }
  return out;
}

torch::Tensor FixedQueries(const torch::Tensor& labels, int64_t per_class) {
  TORCH_CHECK(labels.dim() == 1, "FixedQueries: labels must be [N]");
  const int64_t n = labels.size(0);
  if (per_class <= 0) return torch::arange(n, torch::kInt64);
  const torch::Tensor l = labels.to(torch::kInt64).contiguous();
  const int64_t* p = l.data_ptr<int64_t>();
  std::map<int64_t, int64_t> taken;
  std::vector<int64_t> index;
  for (int64_t i = 0; i < n; ++i) {
    if (taken[p[i]]++ < per_class) index.push_back(i);
  }
  return torch::tensor(index, torch::kInt64);
}

}  // namespace repro::bt2
