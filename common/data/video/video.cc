#include "common/data/video/video.h"

namespace repro {

std::vector<const Video*> VideosOfAction(const std::vector<Video>& videos, int action) {
  std::vector<const Video*> out;
  for (const Video& video : videos) {
    if (video.action == action) out.push_back(&video);
  }
  return out;
}

}  // namespace repro
