// SpritePhase: a deterministic synthetic fine-grained video benchmark (MV-Former spec §10.1).
//
// Each 64x64 grey video shows an actor A (a Fashion-MNIST top: classes 0, 2, 4, 6) acting on an object
// B (classes 5, 7, 8, 9), plus 0-2 distractors drawn from B's class pool that wander (Brownian) or
// bounce. Sprites are Fashion-MNIST images area-downsampled to 16x16, scaled by U(0.7, 1) and
// composited with max over a background of level U(0, 0.2) plus N(0, 0.03^2) noise per pixel and
// frame. Every frame's phase label is the generator's state, so labels are exact:
//   fetch (4 phases): approach B, carry B to a corner, leave B, idle (A flips every 3 frames);
//   push  (3 phases): approach B from behind, push B along a line, back away;
//   orbit (3 phases): approach B, circle B once, depart radially.
// Timing is random per video (lengths kept in [40, 96]). By default (random_phase_durations) every
// phase lasts its own random number of frames, D ~ log-uniform[4, 48] drawn independently per phase,
// and the motion's speed follows from its path length (clamped to [0.4, 8] px/frame; an orbit's
// circle to [0.1, 0.8] rad/frame), so a frame's normalised time t / L does not give its phase away:
// with the spec's literal speeds U(1, 3) and idle U(6, 16) instead, the phase boundaries vary by only
// ~0.07 in t / L and an embedding of t / L alone reaches ~86% phase accuracy, as much as any model.
//
// Variants: kRelational (R1) is the above: the phase is a relation between A and B that one pooled
// vector per frame cannot see well. kControl (C0) has no distractors and a background level that
// rises with the phase (base U(0, 0.1) + 0.1 * phase), so one global vector per frame suffices.
//
// Train videos take sprites from `train_sprites` (the Fashion-MNIST train split), val videos from
// `val_sprites` (the test split). Video (split, action, i) depends only on (seed, split, action, i).
//
//   SpritePhaseOptions options;
//   options.train_per_action = 64;
//   ASSIGN_OR_RETURN(VideoDataset data, GenerateSpritePhase(options, fmnist.train, fmnist.test));
#ifndef COMMON_DATA_VIDEO_SPRITE_PHASE_H_
#define COMMON_DATA_VIDEO_SPRITE_PHASE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/data/labeled_images.h"
#include "common/data/video/video.h"
#include "common/port/status_macros.h"

namespace repro {

inline constexpr int kSpritePhaseCanvas = 64;
inline constexpr int kSpritePhaseSprite = 16;

enum class SpritePhaseVariant { kRelational, kControl };

struct SpritePhaseOptions {
  SpritePhaseVariant variant = SpritePhaseVariant::kRelational;
  // Any of "fetch", "push", "orbit", each at most once.
  std::vector<std::string> actions = {"fetch", "push", "orbit"};
  int train_per_action = 240;
  int val_per_action = 120;
  int max_distractors = 2;  // R1 only; C0 has none
  int min_length = 40;
  int max_length = 96;
  // true: random phase durations (above); false: the spec's literal speeds and idle lengths.
  bool random_phase_durations = true;
  uint64_t seed = 0;
};

// Images [N, 1, H, W] float -> sprites [N, 1, 16, 16], area-downsampled (OpenCV INTER_AREA) exactly
// as the generator shrinks Fashion-MNIST images (so a backbone can be trained at sprite scale).
torch::Tensor DownsampleToSprites(const torch::Tensor& images);

// The phase count of a SpritePhase action; 0 for an unknown name.
int SpritePhaseNumPhases(const std::string& action);

// Generates the whole data set: actions in the order of options.actions, train videos action by
// action, then val videos likewise. Frames [L, 1, 64, 64] uint8, phases [L], entities [L, 64, 64].
// Errors: an unknown or repeated action, non-positive counts, a length range that cannot hold the
// actions (min_length < 20 or max_length < min_length + 20), a sprite pool without the needed
// classes or not [N, 1, H, W].
absl::StatusOr<VideoDataset> GenerateSpritePhase(const SpritePhaseOptions& options,
                                                 const LabeledImages& train_sprites,
                                                 const LabeledImages& val_sprites);

}  // namespace repro

#endif  // COMMON_DATA_VIDEO_SPRITE_PHASE_H_
