// Market-1501 person re-identification data set (Zheng et al., ICCV 2015) as the online-backfilling
// paper evaluates it (backfill.md §3.1): 751 training identities, and 3,368 query images searched
// against a 19,732-image gallery under the standard re-ID protocol, where gallery images of the
// query's own identity seen by the query's own camera do not count, and "junk" detections
// (identity -1) are ignored. Identity 0000 ("distractors") stays in the gallery as a negative.
//
// Layout of the release (Market-1501-v15.09.15), one JPEG per detection:
//   <root>/bounding_box_train/0002_c1s1_000451_03.jpg   identity 0002, camera 1, sequence 1, ...
//   <root>/bounding_box_test/-1_c1s1_000401_03.jpg      junk detection
//   <root>/query/0001_c1s1_001051_00.jpg
// Files that are not .jpg (the release ships Thumbs.db) are skipped.
//
//   ASSIGN_OR_RETURN(Market1501 market, LoadMarket1501(root, Market1501Options()));
//   torch::Tensor ignore = ReidIgnoreMask(market.query, market.gallery);  // [Q, G] bool
#ifndef COMMON_DATA_MARKET1501_H_
#define COMMON_DATA_MARKET1501_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/data/labeled_images.h"
#include "common/port/status_macros.h"
#include "common/port/torch.h"

namespace repro {

// The identity and camera encoded in a Market-1501 file name.
struct Market1501Name {
  int64_t person_id = 0;  // -1 junk, 0 distractor, else 1..1501
  int64_t camera = 0;     // 1..6
};

// Parses "<pid>_c<cam>s<seq>_<frame>_<box>.jpg" (pid may be "-1"). InvalidArgument otherwise.
absl::StatusOr<Market1501Name> ParseMarket1501Name(const std::string& file_name);

// One split of re-ID images.
struct ReidImages {
  // images [N, 3, height, width] float32 RGB in [0, 1]. labels: for the training split the
  // identity as a class index 0..K-1 (identities in ascending order); for query and gallery the raw
  // person id, so that a query and a gallery image are relevant when their labels are equal.
  LabeledImages data;
  torch::Tensor person_ids;  // [N] int64, as in the file names
  torch::Tensor cameras;     // [N] int64
  std::vector<std::string> files;  // file names (no folder), sorted

  int64_t size() const { return data.size(); }
};

struct Market1501 {
  ReidImages train;    // bounding_box_train
  ReidImages query;    // query
  ReidImages gallery;  // bounding_box_test
};

struct Market1501Options {
  // Every image is resized to height x width (bilinear); the common re-ID input is 256 x 128.
  TORCH_ARG(int64_t, height) = 256;
  TORCH_ARG(int64_t, width) = 128;
  // Keep at most this many images per split (the first in file-name order; 0: all).
  TORCH_ARG(int64_t, max_per_split) = 0;
  // Load bounding_box_train as well (evaluation-only runs can skip it).
  TORCH_ARG(bool, load_train) = true;
};

// Reads the three splits under `root`. Errors name the folder or file: a missing split folder
// (NotFound, with what to pass instead), a file name that does not follow the pattern, an image
// that does not decode, a junk identity in the training or query split.
absl::StatusOr<Market1501> LoadMarket1501(const std::string& root,
                                          const Market1501Options& options);

// The standard re-ID exclusion [Q, G] (bool, true = not part of the query's ranking): gallery
// images with the query's person id and camera, and junk gallery images (person id -1).
torch::Tensor ReidIgnoreMask(const ReidImages& query, const ReidImages& gallery);

// The same from raw tensors: query_ids/query_cams [Q], gallery_ids/gallery_cams [G] (int64).
torch::Tensor ReidIgnoreMask(const torch::Tensor& query_ids, const torch::Tensor& query_cams,
                             const torch::Tensor& gallery_ids, const torch::Tensor& gallery_cams);

}  // namespace repro

#endif  // COMMON_DATA_MARKET1501_H_
