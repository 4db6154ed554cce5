#include "backfill/data.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/data/cifar.h"
#include "common/data/fashion_mnist.h"
#include "common/data/image_folder.h"
#include "common/data/market1501.h"
#include "common/port/status_macros.h"
#include "common/train/seed.h"
#include "experiments/experiment.h"

namespace repro::backfill {
namespace {

constexpr uint64_t kQueryStream = 0x51554552ULL;  // "QUER"

LabeledImages Head(const LabeledImages& data, int64_t limit) {
  if (limit <= 0 || limit >= data.size()) return data;
  return Select(data, torch::arange(limit, torch::kInt64));
}

// Gallery = the evaluation images, queries = a fixed per-class sample of them (left out of their
// own rankings).
void QueriesFromGallery(const Config& config, BackfillData* out) {
  const torch::Tensor rows = SampleQueries(out->gallery.labels,
                                           config.protocol().queries_per_class(),
                                           config.protocol().query_seed());
  out->queries = Select(out->gallery, rows);
  out->setup.query_labels = out->queries.labels;
  out->setup.gallery_ids = torch::arange(out->gallery.size(), torch::kInt64);
  out->setup.gallery_labels = out->gallery.labels;
  out->setup.query_self_ids = rows;
}

}  // namespace

torch::Tensor SampleQueries(const torch::Tensor& labels, int64_t per_class, uint64_t seed) {
  const int64_t n = labels.size(0);
  if (per_class <= 0) return torch::arange(n, torch::kInt64);
  torch::Generator generator = MakeGenerator(seed, kQueryStream, 0);
  const torch::Tensor perm =
      torch::randperm(n, generator, torch::TensorOptions().dtype(torch::kInt64));
  const torch::Tensor shuffled = labels.index_select(0, perm);
  std::vector<int64_t> rows;
  const torch::Tensor classes = std::get<0>(at::_unique(labels));
  for (int64_t i = 0; i < classes.size(0); ++i) {
    const torch::Tensor members = perm.masked_select(shuffled == classes[i]);
    const int64_t take = std::min<int64_t>(per_class, members.size(0));
    for (int64_t j = 0; j < take; ++j) rows.push_back(members[j].item<int64_t>());
  }
  std::sort(rows.begin(), rows.end());
  return torch::tensor(rows, torch::kInt64);
}

absl::StatusOr<BackfillData> LoadBackfillData(const Config& config, const TableRun& run) {
  const DataSet& data = config.experiment().data();
  const std::string path = DataPath(data, run);
  BackfillData out;
  out.key = absl::StrCat("data ", DataSet::Name_Name(data.name()), " path ", path, " max_train ",
                         data.max_train(), " max_test ", data.max_test());
  switch (data.name()) {
    case DataSet::FASHION_MNIST: {
      ASSIGN_OR_RETURN(FashionMnist fmnist, LoadFashionMnist(path));
      out.train = Head(fmnist.train, data.max_train());
      out.gallery = Head(fmnist.test, data.max_test());
      QueriesFromGallery(config, &out);
      out.description = "Fashion-MNIST";
      break;
    }
    case DataSet::CIFAR100: {
      ASSIGN_OR_RETURN(CifarSplits cifar, LoadCifar100(path));
      out.train = Head(cifar.train, data.max_train());
      out.gallery = Head(cifar.test, data.max_test());
      QueriesFromGallery(config, &out);
      out.description = "CIFAR-100";
      break;
    }
    case DataSet::MARKET1501: {
      ASSIGN_OR_RETURN(Market1501 market, LoadMarket1501(path, Market1501Options()));
      out.train = Head(market.train.data, data.max_train());
      ReidImages gallery = market.gallery;
      ReidImages query = market.query;
      if (data.max_test() > 0) {
        // Keep the first max_test gallery images and the queries with a match among them.
        gallery.data = Head(gallery.data, data.max_test());
        gallery.person_ids = gallery.person_ids.slice(0, 0, gallery.data.size());
        gallery.cameras = gallery.cameras.slice(0, 0, gallery.data.size());
      }
      out.gallery = gallery.data;
      out.queries = query.data;
      out.setup.query_labels = query.person_ids;
      out.setup.gallery_ids = torch::arange(out.gallery.size(), torch::kInt64);
      out.setup.gallery_labels = gallery.person_ids;
      out.setup.query_self_ids = torch::full({query.size()}, -1, torch::kInt64);
      out.setup.ignore = ReidIgnoreMask(query, gallery);
      out.description = "Market-1501";
      break;
    }
    case DataSet::IMAGENET1K:
    case DataSet::PLACES365: {
      const ImageFolderData& folder = config.image_folder();
      ImageDecodeOptions decode;
      decode.height = decode.width = folder.image_size() > 0 ? folder.image_size() : 224;
      decode.channels = 3;
      decode.center_crop = true;
      auto limit = [](int64_t n) { return n > 0 ? n : int64_t{-1}; };
      ASSIGN_OR_RETURN(LabeledImages train, LoadImageFolder(absl::StrCat(path, "/train"), decode,
                                                            limit(folder.max_train_per_class())));
      ASSIGN_OR_RETURN(LabeledImages val, LoadImageFolder(absl::StrCat(path, "/val"), decode,
                                                          limit(folder.max_val_per_class())));
      out.train = Head(train, data.max_train());
      out.gallery = Head(val, data.max_test());
      QueriesFromGallery(config, &out);
      out.description = data.name() == DataSet::IMAGENET1K ? "ImageNet-1K" : "Places-365";
      absl::StrAppend(&out.key, " image_folder ", folder.ShortDebugString());
      break;
    }
    default:
      return absl::UnimplementedError(absl::StrCat(
          "backfill tables read Fashion-MNIST, CIFAR-100, ImageNet-1K, Places-365 and "
          "Market-1501; data set ", DataSet::Name_Name(data.name()), " (", run.config_path,
          ": experiment.data.name) is not one of them"));
  }
  out.setup.distance = Distance::kSquaredL2;
  out.setup.cmc_ks.assign(config.protocol().cmc_ks().begin(), config.protocol().cmc_ks().end());
  if (out.setup.cmc_ks.empty()) out.setup.cmc_ks = {1, 5};
  return out;
}

}  // namespace repro::backfill
