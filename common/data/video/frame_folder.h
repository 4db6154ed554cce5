// Penn Action-style frame folders: the on-disk form of a labelled video data set, read through
// OpenCV. The same reader serves the synthetic SpritePhase benchmark (written by
// //common/data/video:write_sprite_phase) and the paper-scale data (Penn Action frames with the TCC
// phase labels, Pouring, FineGym), once their labels are converted to one integer per line:
//
//   <root>/actions.txt            one "<action> <num_phases>" per line
//   <root>/train.txt, val.txt     one "<video> <action>" per line
//   <root>/frames/<video>/000001.png (or .jpg/.jpeg), 000002.png, ...   (numbered from 1, no gaps)
//   <root>/labels/<video>.txt     one phase label per line, one line per frame (-1: unlabelled)
//
// Bad input gives one error naming the video and file: a missing frame (a gap in the numbering),
// an image OpenCV cannot decode, frames of different sizes, a label file whose length differs from
// the frame count, an unknown action, a malformed line.
#ifndef COMMON_DATA_VIDEO_FRAME_FOLDER_H_
#define COMMON_DATA_VIDEO_FRAME_FOLDER_H_

#include <string>

#include "common/data/video/video.h"
#include "common/port/status_macros.h"

namespace repro {

struct FrameFolderOptions {
  bool grayscale = true;  // decode to 1 channel; false: 3 channels, RGB order
  int height = 0;         // resize every frame to height x width (area interpolation); 0: keep
  int width = 0;
  int max_videos_per_action = 0;  // per split; 0: all (smoke configs set this)
};

// Reads one video: frames <root>/frames/<name>/, labels <root>/labels/<name>.txt.
absl::StatusOr<Video> ReadFrameFolderVideo(const std::string& root, const std::string& name,
                                           int action, const FrameFolderOptions& options);

// Reads actions.txt, then the videos of train.txt and val.txt (in file order).
absl::StatusOr<VideoDataset> ReadFrameFolderDataset(const std::string& root,
                                                    const FrameFolderOptions& options);

// Writes `data` in the layout above (frames as lossless PNG, so reading back gives the same bytes).
absl::Status WriteFrameFolderDataset(const VideoDataset& data, const std::string& root);

}  // namespace repro

#endif  // COMMON_DATA_VIDEO_FRAME_FOLDER_H_
