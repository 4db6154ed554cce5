// What the three MV-Former tables share: config checks, the row model resolution, and a Workspace
// that builds the data, the frozen backbone and the precomputed features once (kept across tables
// in one process: the three tables train on the same features), trains each (variant, row, seed)
// model or loads it from the model cache, and evaluates it, embedding every video once per model.
#ifndef MVFORMER_RUNNER_H_
#define MVFORMER_RUNNER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/data/video/video.h"
#include "common/metrics/video_metrics.h"
#include "common/results/registry.h"
#include "mvformer/config.pb.h"
#include "mvformer/features.h"
#include "mvformer/model.h"
#include "mvformer/trainer.h"

namespace repro::mvformer {

enum class TableKind { kMain, kAblation, kAttention };

// Parses and checks a table config; errors name the file and the field.
absl::StatusOr<MvformerConfig> ParseMvformerConfig(const std::string& text, const std::string& path,
                                                   TableKind kind);

// The row's model: `base` with the fields the row sets replaced.
ModelConfig ResolveModel(const ModelConfig& base, const ModelConfig& row);

// "R1", "C0", or "" (the frame-folder data set itself).
std::string VariantTag(Variant variant);

// The metric ids claims use, their column titles, and a metric's value (in the column's units).
const std::vector<std::string>& MetricIds();
std::string MetricTitle(const std::string& id);
double MetricValue(const VideoMetrics& metrics, const std::string& id, const std::vector<int>& ks);

struct RowResult {
  VideoMetrics metrics;
  MvFormer model{nullptr};
  ChannelRange channels;
  bool cached = false;            // loaded from the model cache
  double frames_per_second = 0;   // of the training run, per thread (also for cached models: stored with them)
  double train_seconds = 0;       // spent in this process
  double eval_seconds = 0;
};

// The data, backbone and features of one variant.
struct Prepared {
  std::shared_ptr<const VideoDataset> data;
  std::shared_ptr<FeatureBank> bank;
  bool augmented = false;
};

class Workspace {
 public:
  Workspace(MvformerConfig config, TableRun run);

  // Trains (or loads) and, with `evaluate`, evaluates `row` on `variant` with `seed`.
  absl::StatusOr<RowResult> Run(Variant variant, const RowConfig& row, uint64_t seed, bool evaluate = true);

  // The same for many (row, seed) jobs, `run.threads` at a time, each job on one thread (tiny
  // ops on a busy 2-core machine are far faster single-threaded than in an OpenMP team). Every
  // job's random draws come from its own generators, so the results do not depend on the
  // scheduling. Results are in job order.
  absl::StatusOr<std::vector<RowResult>> RunMany(Variant variant,
                                                 const std::vector<std::pair<const RowConfig*, uint64_t>>& jobs,
                                                 bool evaluate = true);
  // The data and features of `variant` (built on first use; augmented copies only when needed).
  absl::StatusOr<Prepared> Prepare(Variant variant, bool need_augmented);

  // Timings, speeds and backbone accuracy for the report's notes.
  std::vector<std::string> Notes() const;

 private:
  struct Job;
  absl::Status EnsureBackbone();
  absl::StatusOr<Job> PrepareJob(Variant variant, const RowConfig& row, uint64_t seed, const Prepared& prepared);
  absl::Status Execute(Job& job, const Prepared& prepared, bool evaluate);

  MvformerConfig config_;
  TableRun run_;
  std::shared_ptr<FrameBackbone> backbone_;
  std::string backbone_note_;
  double feature_seconds_ = 0;
  double train_seconds_ = 0;
  double eval_seconds_ = 0;
  int64_t trained_ = 0;
  int64_t cached_ = 0;
  int workers_ = 1;
  double training_wall_seconds_ = 0;  // wall time of the parallel training phases
  int64_t trained_frames_ = 0;
  std::vector<double> frames_per_second_;
};

}  // namespace repro::mvformer

#endif  // MVFORMER_RUNNER_H_
