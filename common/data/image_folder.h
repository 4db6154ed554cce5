// ImageFolder data sets: real JPEG/PNG trees laid out as root/<class name>/<image files> (as
// torchvision.datasets.ImageFolder), decoded with OpenCV into float tensors. Two layers: a scan
// that lists files and labels without decoding, and the decoding itself, so a caller can subsample
// before paying for it.
#ifndef COMMON_DATA_IMAGE_FOLDER_H_
#define COMMON_DATA_IMAGE_FOLDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/data/labeled_images.h"
#include "common/port/status_macros.h"
#include "common/port/torch.h"

namespace repro {

struct ImageFolderIndex {
  std::vector<std::string> paths;        // image files, grouped by class, sorted by path in a class
  std::vector<int64_t> labels;           // paths[i]'s class: an index into class_names
  std::vector<std::string> class_names;  // the class folders' names, sorted (label = position)

  int64_t size() const { return static_cast<int64_t>(paths.size()); }
};

// Lists root/<class>/... : every sub-folder of `root` (except hidden ones, named ".*") is a class;
// its image files (.jpg .jpeg .png .bmp .ppm .pgm .pbm .tif .tiff .webp, any case), also in nested
// folders, are its items; other files are ignored. Errors: `root` missing or not a folder, no class
// folders, a class folder without images.
absl::StatusOr<ImageFolderIndex> ScanImageFolder(const std::string& root);

// The first `max_per_class` items of each class of `index` (all of them when max_per_class < 0).
ImageFolderIndex LimitPerClass(const ImageFolderIndex& index, int64_t max_per_class);

struct ImageDecodeOptions {
  // Output size; 0 and 0 keep each image's own size (then the images of a folder must all have
  // one size). Shrinking uses cv::INTER_AREA, enlarging cv::INTER_LINEAR.
  int height = 0;
  int width = 0;
  // 3: RGB (colour planes in R, G, B order); 1: grey (OpenCV's luma of the colour image).
  int channels = 3;
  // false: stretch to height x width. true: keep the aspect ratio, scale so that the image covers
  // height x width, then cut out the centre (torchvision's Resize + CenterCrop).
  bool center_crop = false;
};

// Decodes one image file into a float32 [channels, height, width] tensor in [0, 1]. Errors: bad
// options, a missing file, a file OpenCV cannot decode (named in the message).
absl::StatusOr<torch::Tensor> DecodeImage(const std::string& path,
                                          const ImageDecodeOptions& options);

// Decodes every image of `index` (in parallel over LibTorch's intra-op threads) into
// images [N, C, H, W] float32 in [0, 1] and labels [N] int64. The first failing file (in index
// order) is reported and nothing is returned; so are images of different sizes when the options
// keep the original size.
absl::StatusOr<LabeledImages> DecodeImageFolder(const ImageFolderIndex& index,
                                                const ImageDecodeOptions& options);

// ScanImageFolder + LimitPerClass + DecodeImageFolder. Class names: ScanImageFolder(root).
absl::StatusOr<LabeledImages> LoadImageFolder(const std::string& root,
                                              const ImageDecodeOptions& options,
                                              int64_t max_per_class = -1);

}  // namespace repro

#endif  // COMMON_DATA_IMAGE_FOLDER_H_
