// Labelled videos for fine-grained video representation learning (MV-Former, CARL): frames with one
// phase label per frame, grouped by action, split into train and val. The synthetic SpritePhase
// generator (sprite_phase.h) and the Penn Action-style frame-folder reader (frame_folder.h) both
// produce these, so the training and evaluation code cannot tell them apart.
#ifndef COMMON_DATA_VIDEO_VIDEO_H_
#define COMMON_DATA_VIDEO_VIDEO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/port/torch.h"

namespace repro {

// Entity ids of the per-pixel entity map of synthetic videos.
enum EntityId : uint8_t { kBackground = 0, kActor = 1, kObject = 2, kDistractor = 3 };

struct Video {
  std::string name;
  int action = 0;        // index into VideoDataset::actions
  torch::Tensor frames;  // [L, C, H, W] uint8
  torch::Tensor phases;  // [L] int64 phase label per frame (-1: unlabelled)
  // Synthetic videos only (undefined otherwise): [L, H, W] uint8 EntityId of each pixel.
  torch::Tensor entities;

  int64_t length() const { return frames.defined() ? frames.size(0) : 0; }
};

struct VideoAction {
  std::string name;
  int num_phases = 0;
};

struct VideoDataset {
  std::vector<VideoAction> actions;
  std::vector<Video> train;
  std::vector<Video> val;
};

// The videos of `videos` whose action is `action`, in order (pointers into `videos`).
std::vector<const Video*> VideosOfAction(const std::vector<Video>& videos, int action);

}  // namespace repro

#endif  // COMMON_DATA_VIDEO_VIDEO_H_
