#include "common/data/market1501.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/port/status_macros.h"
#include "common/port/torch.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace repro {
namespace {

namespace fs = std::filesystem;

// The .jpg file names of `folder`, sorted.
absl::StatusOr<std::vector<std::string>> ListJpegs(const fs::path& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    return absl::NotFoundError(absl::StrCat(
        "Market-1501 folder ", folder.string(),
        " not found; pass the root of the extracted release (Market-1501-v15.09.15, with "
        "bounding_box_train/, bounding_box_test/ and query/) as the data set path"));
  }
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".jpg") names.push_back(name);
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot list Market-1501 folder ", folder.string(), ": ", error.message()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Decodes one JPEG into `out` ([3, height, width] float32 RGB in [0, 1]).
absl::Status DecodeInto(const fs::path& path, int64_t height, int64_t width, torch::Tensor out) {
  cv::Mat bgr = cv::imread(path.string(), cv::IMREAD_COLOR);
  if (bgr.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot decode image ", path.string(), "; replace or remove the file (is it a JPEG?)"));
  }
  cv::Mat resized;
  if (bgr.rows != height || bgr.cols != width) {
    cv::resize(bgr, resized, cv::Size(static_cast<int>(width), static_cast<int>(height)), 0, 0,
               cv::INTER_LINEAR);
  } else {
    resized = bgr;
  }
  cv::Mat rgb;
  cv::cvtColor(resized, rgb, cv::COLOR_BGR2RGB);
  const torch::Tensor hwc =
      torch::from_blob(rgb.data, {height, width, 3}, {static_cast<int64_t>(rgb.step[0]), 3, 1}, torch::kUInt8);
  out.copy_(hwc.permute({2, 0, 1}).to(torch::kFloat32).div_(255.0));
  return absl::OkStatus();
}

absl::StatusOr<ReidImages> LoadSplit(const fs::path& root, const std::string& split,
                                     const Market1501Options& options, bool allow_junk) {
  const fs::path folder = root / split;
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListJpegs(folder));
  if (options.max_per_split() > 0 && static_cast<int64_t>(names.size()) > options.max_per_split()) {
    names.resize(options.max_per_split());
  }
  const int64_t n = static_cast<int64_t>(names.size());
  ReidImages out;
  out.person_ids = torch::empty({n}, torch::kInt64);
  out.cameras = torch::empty({n}, torch::kInt64);
  out.data.images = torch::empty({n, 3, options.height(), options.width()}, torch::kFloat32);
  auto ids = out.person_ids.accessor<int64_t, 1>();
  auto cams = out.cameras.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i) {
    const fs::path path = folder / names[i];
    absl::StatusOr<Market1501Name> parsed = ParseMarket1501Name(names[i]);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ": ", parsed.status().message()));
    }
    if (parsed->person_id < 0 && !allow_junk) {
      return absl::InvalidArgumentError(absl::StrCat(
          path.string(), ": junk detection (person id -1) in the ", split,
          " split; junk belongs to bounding_box_test only"));
    }
    ids[i] = parsed->person_id;
    cams[i] = parsed->camera;
    RETURN_IF_ERROR(
        DecodeInto(path, options.height(), options.width(), out.data.images[i]));
  }
  out.files = std::move(names);
  out.data.labels = out.person_ids.clone();
  return out;
}

}  // namespace

absl::StatusOr<Market1501Name> ParseMarket1501Name(const std::string& file_name) {
  static const std::regex kPattern(R"((-1|\d{4})_c(\d)s(\d+)_(\d+)_(\d+)\.jpg)");
  std::smatch match;
  if (!std::regex_match(file_name, match, kPattern)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "file name '", file_name,
        "' is not a Market-1501 name <pid>_c<cam>s<seq>_<frame>_<box>.jpg (e.g. "
        "0002_c1s1_000451_03.jpg)"));
  }
  Market1501Name name;
  name.person_id = std::stoll(match[1].str());
  name.camera = std::stoll(match[2].str());
  if (name.camera < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("file name '", file_name, "' has camera 0; cameras are numbered from 1"));
  }
  return name;
}

absl::StatusOr<Market1501> LoadMarket1501(const std::string& root,
                                          const Market1501Options& options) {
  if (options.height() < 1 || options.width() < 1) {
    return absl::InvalidArgumentError(absl::StrCat("Market-1501: image size ", options.height(),
                                                   "x", options.width(), " must be positive"));
  }
  Market1501 market;
  if (options.load_train()) {
    ASSIGN_OR_RETURN(market.train, LoadSplit(root, "bounding_box_train", options, false));
    // Identities as contiguous class indices, in ascending order of person id.
    std::map<int64_t, int64_t> class_of;
    auto ids = market.train.person_ids.accessor<int64_t, 1>();
    for (int64_t i = 0; i < market.train.size(); ++i) class_of.emplace(ids[i], 0);
    int64_t next = 0;
    for (auto& [id, cls] : class_of) cls = next++;
    auto labels = market.train.data.labels.accessor<int64_t, 1>();
    for (int64_t i = 0; i < market.train.size(); ++i) labels[i] = class_of.at(ids[i]);
  }
  ASSIGN_OR_RETURN(market.query, LoadSplit(root, "query", options, false));
  ASSIGN_OR_RETURN(market.gallery, LoadSplit(root, "bounding_box_test", options, true));
  return market;
}

torch::Tensor ReidIgnoreMask(const torch::Tensor& query_ids, const torch::Tensor& query_cams,
                             const torch::Tensor& gallery_ids, const torch::Tensor& gallery_cams) {
  TORCH_CHECK(query_ids.dim() == 1 && query_cams.sizes() == query_ids.sizes(),
              "ReidIgnoreMask: query ids and cameras must be [Q], got ", query_ids.sizes(), " and ",
              query_cams.sizes());
  TORCH_CHECK(gallery_ids.dim() == 1 && gallery_cams.sizes() == gallery_ids.sizes(),
              "ReidIgnoreMask: gallery ids and cameras must be [G], got ", gallery_ids.sizes(),
              " and ", gallery_cams.sizes());
  const torch::Tensor same_id = query_ids.unsqueeze(1) == gallery_ids.unsqueeze(0);
  const torch::Tensor same_cam = query_cams.unsqueeze(1) == gallery_cams.unsqueeze(0);
  const torch::Tensor junk = (gallery_ids < 0).unsqueeze(0);
  return (same_id & same_cam) | junk;
}

torch::Tensor ReidIgnoreMask(const ReidImages& query, const ReidImages& gallery) {
  return ReidIgnoreMask(query.person_ids, query.cameras, gallery.person_ids, gallery.cameras);
}

}  // namespace repro
