#include "common/data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/data/file_bytes.h"
#include "common/data/labeled_images.h"
#include "common/port/status_macros.h"
#include "common/port/torch.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace repro {
namespace {

namespace fs = std::filesystem;

const std::set<std::string>& ImageExtensions() {
  static const auto* const kExtensions = new std::set<std::string>{
      ".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".pbm", ".tif", ".tiff", ".webp"};
  return *kExtensions;
}

bool IsImageFile(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ImageExtensions().count(ext) > 0;
}

absl::Status CheckOptions(const ImageDecodeOptions& options) {
  if (options.channels != 1 && options.channels != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("ImageDecodeOptions.channels must be 1 or 3, got ", options.channels));
  }
  const bool keep = options.height == 0 && options.width == 0;
  if (!keep && (options.height <= 0 || options.width <= 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ImageDecodeOptions height and width must both be positive or both 0 (keep the size), got ",
        options.height, " x ", options.width));
  }
  if (keep && options.center_crop) {
    return absl::InvalidArgumentError("ImageDecodeOptions.center_crop needs a height and width");
  }
  return absl::OkStatus();
}

// Resizes `image` to `height` x `width`: INTER_AREA when shrinking both sides (it averages, no
// aliasing), INTER_LINEAR otherwise.
cv::Mat Resize(const cv::Mat& image, int height, int width) {
  if (image.rows == height && image.cols == width) return image;
  const int interpolation =
      height <= image.rows && width <= image.cols ? cv::INTER_AREA : cv::INTER_LINEAR;
  cv::Mat out;
  cv::resize(image, out, cv::Size(width, height), 0, 0, interpolation);
  return out;
}

// The decoded, converted and resized image: uint8, height x width, RGB or grey.
absl::StatusOr<cv::Mat> DecodeToMat(const std::string& path, const ImageDecodeOptions& options) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path));
  try {
    cv::Mat image;
    if (!bytes.empty()) {
      const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, bytes.data());
      image = cv::imdecode(buffer, options.channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    }
    if (image.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot decode image ", path, " (", bytes.size(),
                       " bytes): not an image format OpenCV reads, or the file is damaged; remove "
                       "or replace it"));
    }
    if (options.channels == 3) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
    if (options.height == 0) return image;
    if (!options.center_crop) return Resize(image, options.height, options.width);
    // Scale so that the image covers the target, then take the centre.
    const double scale = std::max(static_cast<double>(options.height) / image.rows,
                                  static_cast<double>(options.width) / image.cols);
    const int h = std::max(options.height, static_cast<int>(std::lround(image.rows * scale)));
    const int w = std::max(options.width, static_cast<int>(std::lround(image.cols * scale)));
    const cv::Mat scaled = Resize(image, h, w);
    return scaled(cv::Rect((w - options.width) / 2, (h - options.height) / 2, options.width,
                           options.height))
        .clone();
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot decode image ", path, ": OpenCV error: ", e.what()));
  }
}

// [C, H, W] uint8 view of an HWC uint8 Mat (no copy; valid while `image` lives).
torch::Tensor ChwView(const cv::Mat& image) {
  const int64_t c = image.channels();
  return torch::from_blob(image.data, {image.rows, image.cols, c},
                          {static_cast<int64_t>(image.step[0]), c, 1}, torch::kUInt8)
      .permute({2, 0, 1});
}

}  // namespace

absl::StatusOr<ImageFolderIndex> ScanImageFolder(const std::string& root) {
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    return absl::NotFoundError(absl::StrCat("image folder ", root, " not found"));
  }
  if (!fs::is_directory(root, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("image folder ", root, " is not a folder"));
  }
  ImageFolderIndex index;
  fs::directory_iterator it(root, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] != '.' && it->is_directory(ec)) index.class_names.push_back(name);
  }
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot list image folder ", root, ": ", ec.message()));
  }
  if (index.class_names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("image folder ", root,
                                                   " has no class folders (expected ", root,
                                                   "/<class>/<image files>)"));
  }
  std::sort(index.class_names.begin(), index.class_names.end());

  for (int64_t label = 0; label < static_cast<int64_t>(index.class_names.size()); ++label) {
    const fs::path class_dir = fs::path(root) / index.class_names[label];
    std::vector<std::string> files;
    fs::recursive_directory_iterator walk(class_dir,
                                          fs::directory_options::follow_directory_symlink, ec);
    for (; !ec && walk != fs::recursive_directory_iterator(); walk.increment(ec)) {
      if (walk->is_regular_file(ec) && IsImageFile(walk->path())) {
        files.push_back(walk->path().string());
      }
    }
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot list class folder ", class_dir.string(), ": ", ec.message()));
    }
    if (files.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("class folder ", class_dir.string(),
                       " has no image files (.jpg .jpeg .png .bmp .ppm .pgm .pbm .tif .tiff "
                       ".webp); remove it or add images"));
    }
    std::sort(files.begin(), files.end());
    for (std::string& file : files) {
      index.paths.push_back(std::move(file));
      index.labels.push_back(label);
    }
  }
  return index;
}

ImageFolderIndex LimitPerClass(const ImageFolderIndex& index, int64_t max_per_class) {
  if (max_per_class < 0) return index;
  ImageFolderIndex out;
  out.class_names = index.class_names;
  std::vector<int64_t> taken(index.class_names.size(), 0);
  for (int64_t i = 0; i < index.size(); ++i) {
    if (taken[index.labels[i]]++ < max_per_class) {
      out.paths.push_back(index.paths[i]);
      out.labels.push_back(index.labels[i]);
    }
  }
  return out;
}

absl::StatusOr<torch::Tensor> DecodeImage(const std::string& path,
                                          const ImageDecodeOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  ASSIGN_OR_RETURN(const cv::Mat image, DecodeToMat(path, options));
  return ChwView(image)
      .to(torch::kFloat32, /*non_blocking=*/false, /*copy=*/true, torch::MemoryFormat::Contiguous)
      .div_(255.0f);
}

absl::StatusOr<LabeledImages> DecodeImageFolder(const ImageFolderIndex& index,
                                                const ImageDecodeOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  const int64_t n = index.size();
  if (n == 0 || static_cast<int64_t>(index.labels.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat("DecodeImageFolder: ", n, " paths and ",
                                                   index.labels.size(),
                                                   " labels; need a non-empty, matching index"));
  }
  int64_t height = options.height;
  int64_t width = options.width;
  if (height == 0) {  // Keep the size: the first image sets it for all.
    ASSIGN_OR_RETURN(const cv::Mat first, DecodeToMat(index.paths[0], options));
    height = first.rows;
    width = first.cols;
  }

  torch::Tensor pixels = torch::empty({n, options.channels, height, width}, torch::kUInt8);
  std::vector<absl::Status> status(n);
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      absl::StatusOr<cv::Mat> image = DecodeToMat(index.paths[i], options);
      if (!image.ok()) {
        status[i] = image.status();
      } else if (image->rows != height || image->cols != width) {
        status[i] = absl::InvalidArgumentError(absl::StrCat(
            "image ", index.paths[i], " is ", image->rows, "x", image->cols, " but ",
            index.paths[0], " is ", height, "x", width,
            "; set ImageDecodeOptions height and width to resize all images to one size"));
      } else {
        pixels[i].copy_(ChwView(*image));
      }
    }
  });
  for (const absl::Status& s : status) RETURN_IF_ERROR(s);

  LabeledImages out;
  out.images = pixels.to(torch::kFloat32).div_(255.0f);
  out.labels = torch::tensor(index.labels, torch::kInt64);
  return out;
}

absl::StatusOr<LabeledImages> LoadImageFolder(const std::string& root,
                                              const ImageDecodeOptions& options,
                                              int64_t max_per_class) {
  RETURN_IF_ERROR(CheckOptions(options));
  ASSIGN_OR_RETURN(const ImageFolderIndex index, ScanImageFolder(root));
  return DecodeImageFolder(LimitPerClass(index, max_per_class), options);
}

}  // namespace repro
