#include "common/data/video/sprite_phase.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "opencv2/imgproc.hpp"

namespace repro {
namespace {

constexpr float kLo = kSpritePhaseSprite / 2.0f;                       // sprite centre bounds
constexpr float kHi = kSpritePhaseCanvas - kSpritePhaseSprite / 2.0f;
constexpr float kPi = 3.14159265358979f;
constexpr float kNoiseStd = 0.03f;
constexpr float kMaskThreshold = 0.1f;  // sprite pixels at least this bright belong to the entity
constexpr int kMaxSimulationFrames = 400;
constexpr int kMaxAttempts = 10000;
// Random phase durations: each phase lasts D ~ log-uniform[kMinPhaseFrames, kMaxPhaseFrames]
// frames, drawn independently per phase and video; a motion's speed is its path length / D,
// clamped to [kMinSpeed, kMaxSpeed] px/frame (the orbit's angular speed to [kMinOmega, kMaxOmega]).
constexpr float kMinPhaseFrames = 4, kMaxPhaseFrames = 48;
constexpr float kMinSpeed = 0.4f, kMaxSpeed = 8;
constexpr float kMinOmega = 0.1f, kMaxOmega = 0.8f;
const std::array<int64_t, 4> kActorClasses = {0, 2, 4, 6};
const std::array<int64_t, 4> kObjectClasses = {5, 7, 8, 9};

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Deterministic across platforms: mt19937_64 bits turned into numbers by hand (the standard
// distributions are implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  float Uniform(double lo, double hi) { return static_cast<float>(lo + (hi - lo) * Uniform()); }
  int UniformInt(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(Uniform() * (hi - lo + 1));
  }
  float Normal() {
    const double u1 = 1.0 - Uniform(), u2 = Uniform();
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
  }

 private:
  std::mt19937_64 engine_;
};

struct P {
  float x = 0, y = 0;
};
P operator+(P a, P b) { return {a.x + b.x, a.y + b.y}; }
P operator-(P a, P b) { return {a.x - b.x, a.y - b.y}; }
P operator*(P a, float s) { return {a.x * s, a.y * s}; }
float Norm(P a) { return std::sqrt(a.x * a.x + a.y * a.y); }
float Dist(P a, P b) { return Norm(a - b); }
P Unit(P a) {
  const float n = Norm(a);
  return n > 0 ? a * (1.0f / n) : P{1, 0};
}
bool InBounds(P a) { return a.x >= kLo && a.x <= kHi && a.y >= kLo && a.y <= kHi; }
P Clamp(P a) { return {std::clamp(a.x, kLo, kHi), std::clamp(a.y, kLo, kHi)}; }
// Moves `from` towards `to` by at most `speed`.
P StepToward(P from, P to, float speed) {
  const float d = Dist(from, to);
  return d <= speed ? to : from + (to - from) * (speed / d);
}
P RandomPosition(Rng& rng) { return {rng.Uniform(kLo, kHi), rng.Uniform(kLo, kHi)}; }

// How long phases last (SpritePhaseOptions::random_phase_durations).
struct Timing {
  bool random = true;

  // A random phase duration in frames, log-uniform in [kMinPhaseFrames, kMaxPhaseFrames].
  static int Frames(Rng& rng) {
    return static_cast<int>(std::lround(
        std::exp(rng.Uniform(std::log(kMinPhaseFrames), std::log(kMaxPhaseFrames)))));
  }
  // The speed of a motion along `path` px: path / D (random durations) or U(lo, hi) (spec speeds).
  float Speed(Rng& rng, float path, double lo, double hi) const {
    if (!random) return rng.Uniform(lo, hi);
    return std::clamp(std::max(path, 0.0f) / static_cast<float>(Frames(rng)), kMinSpeed, kMaxSpeed);
  }
  // A number of frames: D (random durations) or U{lo, hi} (spec).
  int Count(Rng& rng, int lo, int hi) const { return random ? Frames(rng) : rng.UniformInt(lo, hi); }
};

// The states of actor and object, frame by frame, with the phase each frame belongs to.
struct Track {
  std::vector<P> actor, object;
  std::vector<int> phase;
  std::vector<bool> flip;
  void Emit(P a, P b, int p, bool f = false) {
    actor.push_back(a);
    object.push_back(b);
    phase.push_back(p);
    flip.push_back(f);
  }
  int size() const { return static_cast<int>(phase.size()); }
};

// Each simulation returns false when it ran away (a guard; never expected).
bool SimulateFetch(Rng& rng, const Timing& timing, Track* t) {
  P a = RandomPosition(rng), b;
  do b = RandomPosition(rng);
  while (Dist(a, b) < 24);
  const float v0 = timing.Speed(rng, Dist(a, b) - 4, 1, 3);
  while (Dist(a, b) >= 4) {  // P0: approach
    t->Emit(a, b, 0);
    a = StepToward(a, b, v0);
    if (t->size() > kMaxSimulationFrames) return false;
  }
  const std::array<P, 4> corners = {P{12, 12}, P{52, 12}, P{12, 52}, P{52, 52}};
  std::vector<P> far;
  for (P c : corners) {
    if (Dist(b, c) >= 20) far.push_back(c);
  }
  const P goal = far[rng.UniformInt(0, static_cast<int>(far.size()) - 1)];
  const P offset = a - b;
  const float v1 = timing.Speed(rng, Dist(b, goal), 1, 3);
  while (Dist(b, goal) > 1e-3f) {  // P1: carry B to the corner
    t->Emit(a, b, 1);
    b = StepToward(b, goal, v1);
    a = Clamp(b + offset);
    if (t->size() > kMaxSimulationFrames) return false;
  }
  P target;
  do target = RandomPosition(rng);
  while (Dist(target, b) < 24);
  const float v2 = timing.Speed(rng, Dist(a, target), 1, 3);
  while (Dist(a, target) > 1e-3f) {  // P2: leave
    t->Emit(a, b, 2);
    a = StepToward(a, target, v2);
    if (t->size() > kMaxSimulationFrames) return false;
  }
  const int idle = timing.Count(rng, 6, 16);
  for (int k = 0; k < idle; ++k) t->Emit(a, b, 3, (k / 3) % 2 == 1);  // P3: idle, flipping
  return true;
}

bool SimulatePush(Rng& rng, const Timing& timing, Track* t) {
  P a, b, end, u;
  for (int attempt = 0;; ++attempt) {
    if (attempt > kMaxAttempts) return false;
    const float theta = rng.Uniform(0, 2 * kPi);
    u = {std::cos(theta), std::sin(theta)};
    b = RandomPosition(rng);
    end = b + u * rng.Uniform(14, 26);
    a = b - u * rng.Uniform(22, 34);
    if (InBounds(end) && InBounds(a)) break;
  }
  constexpr float kContact = 14;  // centre distance at which the 16 px sprites touch
  const P contact = b - u * kContact;
  const float v0 = timing.Speed(rng, Dist(a, contact), 1, 3);
  while (Dist(a, contact) > 1e-3f) {  // P0: approach from behind
    t->Emit(a, b, 0);
    a = StepToward(a, contact, v0);
    if (t->size() > kMaxSimulationFrames) return false;
  }
  const float v1 = timing.Speed(rng, Dist(b, end), 0.7, 2);
  while (Dist(b, end) > 1e-3f) {  // P1: push along the line
    t->Emit(a, b, 1);
    b = StepToward(b, end, v1);
    a = b - u * kContact;
    if (t->size() > kMaxSimulationFrames) return false;
  }
  const P target = Clamp(a - u * rng.Uniform(12, 24));
  const float v2 = timing.Speed(rng, Dist(a, target), 1, 3);
  while (Dist(a, target) > 1e-3f) {  // P2: back away, then rest
    t->Emit(a, b, 2);
    a = StepToward(a, target, v2);
    if (t->size() > kMaxSimulationFrames) return false;
  }
  const int rest = rng.UniformInt(4, 10);
  for (int k = 0; k < rest; ++k) t->Emit(a, b, 2);
  return true;
}

bool SimulateOrbit(Rng& rng, const Timing& timing, Track* t) {
  const P b = {rng.Uniform(26, 38), rng.Uniform(26, 38)};
  const float radius = rng.Uniform(12, 18);
  P a;
  do a = RandomPosition(rng);
  while (Dist(a, b) < radius + 12);
  const float v0 = timing.Speed(rng, Dist(a, b) - radius, 1, 3);
  while (Dist(a, b) > radius + 1e-3f) {  // P0: approach to the orbit radius
    t->Emit(a, b, 0);
    a = StepToward(a, b, std::min(v0, Dist(a, b) - radius));
    if (t->size() > kMaxSimulationFrames) return false;
  }
  float phi = std::atan2(a.y - b.y, a.x - b.x);
  const float speed = timing.random
                          ? std::clamp(2 * kPi / static_cast<float>(Timing::Frames(rng)), kMinOmega, kMaxOmega)
                          : rng.Uniform(0.15, 0.35);
  const float omega = speed * (rng.Uniform() < 0.5 ? -1.0f : 1.0f);
  const int steps = static_cast<int>(std::ceil(2 * kPi / std::fabs(omega)));
  for (int k = 0; k < steps; ++k) {  // P1: one full circle around B
    t->Emit(a, b, 1);
    phi += omega;
    a = Clamp(b + P{std::cos(phi), std::sin(phi)} * radius);
  }
  const P dir = Unit(a - b);
  const float v2 = rng.Uniform(1, 3);
  const int depart = timing.Count(rng, 10, 20);
  for (int k = 0; k < depart; ++k) {  // P2: depart radially
    t->Emit(a, b, 2);
    a = Clamp(a + dir * v2);
  }
  return true;
}

using Simulator = std::function<bool(Rng&, const Timing&, Track*)>;

struct ActionSpec {
  const char* name;
  int num_phases;
  Simulator simulate;
};

const std::vector<ActionSpec>& Actions() {
  static const std::vector<ActionSpec> actions = {
      {"fetch", 4, SimulateFetch}, {"push", 3, SimulatePush}, {"orbit", 3, SimulateOrbit}};
  return actions;
}

const ActionSpec* FindAction(const std::string& name) {
  for (const ActionSpec& spec : Actions()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

// A sprite pool: images [N, 1, H, W] float in [0, 1], indices per class.
struct SpritePool {
  torch::Tensor images;
  std::vector<std::vector<int64_t>> by_class;  // 10 classes

  // A random sprite of one of `classes`, area-downsampled to 16x16, row-major.
  std::vector<float> Draw(Rng& rng, const std::array<int64_t, 4>& classes) const {
    const std::vector<int64_t>& items = by_class[classes[rng.UniformInt(0, 3)]];
    const int64_t index = items[rng.UniformInt(0, static_cast<int>(items.size()) - 1)];
    const torch::Tensor sprite = DownsampleToSprites(images.slice(0, index, index + 1)).contiguous();
    return std::vector<float>(sprite.data_ptr<float>(), sprite.data_ptr<float>() + sprite.numel());
  }
};

absl::StatusOr<SpritePool> MakePool(const LabeledImages& data, const char* what) {
  if (!data.images.defined() || data.images.dim() != 4 || data.images.size(1) != 1 ||
      data.size() != data.images.size(0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SpritePhase: ", what, " sprites must be images [N, 1, H, W] with N labels"));
  }
  SpritePool pool;
  pool.images = data.images.to(torch::kFloat32).contiguous();
  pool.by_class.resize(10);
  const torch::Tensor labels = data.labels.to(torch::kInt64).contiguous();
  const int64_t* l = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < data.size(); ++i) {
    if (l[i] >= 0 && l[i] < 10) pool.by_class[l[i]].push_back(i);
  }
  for (const auto& classes : {kActorClasses, kObjectClasses}) {
    for (int64_t c : classes) {
      if (pool.by_class[c].empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "SpritePhase: the ", what, " sprites have no image of Fashion-MNIST class ", c,
            "; pass the full Fashion-MNIST split"));
      }
    }
  }
  return pool;
}

struct Entity {
  std::vector<float> sprite;  // 16x16
  float intensity = 1;
  EntityId id = kBackground;
  std::vector<P> position;    // per frame, sprite centre
  std::vector<bool> flip;     // per frame (actor only)
};

// Paints one entity into frame `t` (canvas float [64*64], entity map uint8 [64*64]).
void Paint(const Entity& e, int t, float* canvas, uint8_t* map) {
  const int left = static_cast<int>(std::lround(e.position[t].x - kSpritePhaseSprite / 2.0f));
  const int top = static_cast<int>(std::lround(e.position[t].y - kSpritePhaseSprite / 2.0f));
  const bool flip = !e.flip.empty() && e.flip[t];
  for (int r = 0; r < kSpritePhaseSprite; ++r) {
    const int y = top + r;
    if (y < 0 || y >= kSpritePhaseCanvas) continue;
    for (int c = 0; c < kSpritePhaseSprite; ++c) {
      const int x = left + c;
      if (x < 0 || x >= kSpritePhaseCanvas) continue;
      const float raw = e.sprite[r * kSpritePhaseSprite + (flip ? kSpritePhaseSprite - 1 - c : c)];
      const float v = raw * e.intensity;
      float& pixel = canvas[y * kSpritePhaseCanvas + x];
      if (raw >= kMaskThreshold && v >= pixel) map[y * kSpritePhaseCanvas + x] = e.id;
      pixel = std::max(pixel, v);
    }
  }
}

std::vector<P> DistractorPath(Rng& rng, int length) {
  std::vector<P> path;
  P p = RandomPosition(rng);
  if (rng.Uniform() < 0.5) {  // Brownian
    for (int t = 0; t < length; ++t) {
      path.push_back(p);
      p = Clamp(p + P{1.5f * rng.Normal(), 1.5f * rng.Normal()});
    }
  } else {  // bouncing at constant speed
    const float theta = rng.Uniform(0, 2 * kPi), speed = rng.Uniform(0.5, 2);
    P v = {speed * std::cos(theta), speed * std::sin(theta)};
    for (int t = 0; t < length; ++t) {
      path.push_back(p);
      p = p + v;
      if (p.x < kLo || p.x > kHi) v.x = -v.x;
      if (p.y < kLo || p.y > kHi) v.y = -v.y;
      p = Clamp(p);
    }
  }
  return path;
}

absl::StatusOr<Video> MakeVideo(const SpritePhaseOptions& options, const ActionSpec& action,
                                int action_index, bool val, int index, const SpritePool& pool) {
  const uint64_t key = (static_cast<uint64_t>(val) << 48) ^
                       (static_cast<uint64_t>(action_index) << 32) ^ static_cast<uint64_t>(index);
  Rng rng(SplitMix64(SplitMix64(options.seed) ^ SplitMix64(key)));
  Track track;
  for (int attempt = 0;; ++attempt) {
    if (attempt > kMaxAttempts) {
      return absl::InternalError(absl::StrCat("SpritePhase: no ", action.name, " video with length in [",
                                              options.min_length, ", ", options.max_length, "]"));
    }
    track = Track();
    if (action.simulate(rng, Timing{options.random_phase_durations}, &track) && track.size() >= options.min_length &&
        track.size() <= options.max_length) {
      break;
    }
  }
  const int length = track.size();
  std::vector<Entity> entities;  // painted in order: distractors, object, actor (on top)
  const bool control = options.variant == SpritePhaseVariant::kControl;
  const int distractors = control ? 0 : rng.UniformInt(0, options.max_distractors);
  for (int d = 0; d < distractors; ++d) {
    Entity e;
    e.sprite = pool.Draw(rng, kObjectClasses);
    e.intensity = rng.Uniform(0.7, 1.0);
    e.id = kDistractor;
    e.position = DistractorPath(rng, length);
    entities.push_back(std::move(e));
  }
  Entity object;
  object.sprite = pool.Draw(rng, kObjectClasses);
  object.intensity = rng.Uniform(0.7, 1.0);
  object.id = kObject;
  object.position = track.object;
  entities.push_back(std::move(object));
  Entity actor;
  actor.sprite = pool.Draw(rng, kActorClasses);
  actor.intensity = rng.Uniform(0.7, 1.0);
  actor.id = kActor;
  actor.position = track.actor;
  actor.flip = track.flip;
  entities.push_back(std::move(actor));
  const float background = control ? rng.Uniform(0.0, 0.1) : rng.Uniform(0.0, 0.2);

  constexpr int kPixels = kSpritePhaseCanvas * kSpritePhaseCanvas;
  Video video;
  video.name = absl::StrFormat("%s_%s_%04d", val ? "val" : "train", action.name, index);
  video.action = action_index;
  video.frames = torch::empty({length, 1, kSpritePhaseCanvas, kSpritePhaseCanvas}, torch::kUInt8);
  video.entities = torch::zeros({length, kSpritePhaseCanvas, kSpritePhaseCanvas}, torch::kUInt8);
  video.phases = torch::empty({length}, torch::kInt64);
  std::vector<float> canvas(kPixels);
  for (int t = 0; t < length; ++t) {
    const float level = background + (control ? 0.1f * track.phase[t] : 0.0f);
    for (float& v : canvas) v = level + kNoiseStd * rng.Normal();
    uint8_t* map = video.entities[t].data_ptr<uint8_t>();
    for (const Entity& e : entities) Paint(e, t, canvas.data(), map);
    uint8_t* out = video.frames[t].data_ptr<uint8_t>();
    for (int i = 0; i < kPixels; ++i) {
      out[i] = static_cast<uint8_t>(std::lround(std::clamp(canvas[i], 0.0f, 1.0f) * 255.0f));
    }
    video.phases[t] = track.phase[t];
  }
  return video;
}

}  // namespace

torch::Tensor DownsampleToSprites(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 1, "DownsampleToSprites: expected [N, 1, H, W], got ",
              images.sizes());
  const torch::Tensor source = images.to(torch::kFloat32).contiguous();
  const int64_t n = source.size(0);
  const int h = static_cast<int>(source.size(2)), w = static_cast<int>(source.size(3));
  torch::Tensor out = torch::empty({n, 1, kSpritePhaseSprite, kSpritePhaseSprite}, torch::kFloat32);
  for (int64_t i = 0; i < n; ++i) {
    cv::Mat in(h, w, CV_32F, source[i][0].data_ptr<float>());
    cv::Mat small(kSpritePhaseSprite, kSpritePhaseSprite, CV_32F, out[i][0].data_ptr<float>());
    cv::resize(in, small, small.size(), 0, 0, cv::INTER_AREA);
  }
  return out;
}

int SpritePhaseNumPhases(const std::string& action) {
  const ActionSpec* spec = FindAction(action);
  return spec == nullptr ? 0 : spec->num_phases;
}

absl::StatusOr<VideoDataset> GenerateSpritePhase(const SpritePhaseOptions& options,
                                                 const LabeledImages& train_sprites,
                                                 const LabeledImages& val_sprites) {
  if (options.actions.empty()) return absl::InvalidArgumentError("SpritePhase: no actions given");
  if (options.train_per_action <= 0 || options.val_per_action <= 0) {
    return absl::InvalidArgumentError("SpritePhase: train_per_action and val_per_action must be > 0");
  }
  if (options.max_distractors < 0) {
    return absl::InvalidArgumentError("SpritePhase: max_distractors must be >= 0");
  }
  if (options.min_length < 20 || options.max_length < options.min_length + 20) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SpritePhase: length range [", options.min_length, ", ", options.max_length,
        "] is too tight; need min_length >= 20 and max_length >= min_length + 20"));
  }
  VideoDataset data;
  std::vector<const ActionSpec*> specs;
  std::set<std::string> seen;
  for (const std::string& name : options.actions) {
    const ActionSpec* spec = FindAction(name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("SpritePhase: unknown action '", name, "'; use fetch, push or orbit"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("SpritePhase: action '", name, "' repeated"));
    }
    specs.push_back(spec);
    data.actions.push_back({spec->name, spec->num_phases});
  }
  ASSIGN_OR_RETURN(const SpritePool train_pool, MakePool(train_sprites, "train"));
  ASSIGN_OR_RETURN(const SpritePool val_pool, MakePool(val_sprites, "val"));
  for (bool val : {false, true}) {
    const int per_action = val ? options.val_per_action : options.train_per_action;
    const int count = per_action * static_cast<int>(specs.size());
    std::vector<absl::StatusOr<Video>> videos(count, absl::UnknownError("not generated"));
    // Each video depends only on its own key, so the order of generation does not matter.
    at::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const int action = static_cast<int>(i / per_action), index = static_cast<int>(i % per_action);
        videos[i] = MakeVideo(options, *specs[action], action, val, index, val ? val_pool : train_pool);
      }
    });
    std::vector<Video>& out = val ? data.val : data.train;
    for (auto& video : videos) {
      if (!video.ok()) return video.status();
      out.push_back(std::move(*video));
    }
  }
  return data;
}

}  // namespace repro
