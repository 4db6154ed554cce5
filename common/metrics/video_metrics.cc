#include "common/metrics/video_metrics.h"

#include <cmath>

#include "common/metrics/video_alignment.h"
#include "common/metrics/video_progression.h"
#include "common/metrics/video_retrieval.h"

namespace repro {
namespace {

struct Labelled {
  std::vector<torch::Tensor> embeddings;
  std::vector<torch::Tensor> phases;
};

// The videos of `action` (at most `limit` of them when limit >= 0) with unlabelled frames dropped.
Labelled OfAction(const std::vector<VideoEmbedding>& videos, int action, int64_t limit) {
  Labelled out;
  for (const VideoEmbedding& video : videos) {
    if (video.action != action) continue;
    if (limit >= 0 && static_cast<int64_t>(out.embeddings.size()) >= limit) break;
    TORCH_CHECK(video.embedding.dim() == 2 && video.phases.dim() == 1 &&
                    video.embedding.size(0) == video.phases.size(0),
                "EvaluateVideoEmbeddings: a video has embeddings ", video.embedding.sizes(),
                " and phases ", video.phases.sizes());
    const torch::Tensor keep = video.phases.ge(0);
    out.embeddings.push_back(video.embedding.index({keep}));
    out.phases.push_back(video.phases.index({keep}).to(torch::kInt64));
  }
  return out;
}

int64_t CountOfAction(const std::vector<VideoEmbedding>& videos, int action) {
  int64_t n = 0;
  for (const VideoEmbedding& video : videos) n += video.action == action;
  return n;
}

}  // namespace

VideoMetrics EvaluateVideoEmbeddings(const std::vector<VideoEmbedding>& train,
                                     const std::vector<VideoEmbedding>& val,
                                     const std::vector<int>& num_phases,
                                     const VideoMetricsOptions& options) {
  TORCH_CHECK(!num_phases.empty(), "EvaluateVideoEmbeddings: no actions");
  TORCH_CHECK(options.train_fraction > 0 && options.train_fraction <= 1,
              "EvaluateVideoEmbeddings: train_fraction must be in (0, 1]");
  VideoMetrics mean;
  mean.precision_at_k.assign(options.ks.size(), 0.0);
  const double actions = static_cast<double>(num_phases.size());
  for (int a = 0; a < static_cast<int>(num_phases.size()); ++a) {
    const int64_t limit = static_cast<int64_t>(
        std::floor(options.train_fraction * static_cast<double>(CountOfAction(train, a))));
    const Labelled train_a = OfAction(train, a, std::max<int64_t>(limit, 1));
    const Labelled val_a = OfAction(val, a, -1);
    TORCH_CHECK(!train_a.embeddings.empty() && val_a.embeddings.size() >= 2,
                "EvaluateVideoEmbeddings: action ", a, " needs train videos and at least 2 val videos");
    VideoMetrics m;
    const LogisticRegression classifier = FitLogisticRegression(
        torch::cat(train_a.embeddings), torch::cat(train_a.phases), num_phases[a], options.classifier);
    m.classification = classifier.Accuracy(torch::cat(val_a.embeddings), torch::cat(val_a.phases));
    m.progression = PhaseProgressionR2(train_a.embeddings, train_a.phases, val_a.embeddings,
                                       val_a.phases, num_phases[a]);
    m.kendall_tau = AlignmentKendallTau(val_a.embeddings, options.tau_stride);
    m.precision_at_k =
        FramePrecisionAtK(val_a.embeddings, val_a.phases, options.retrieval_stride, options.ks);
    mean.classification += m.classification / actions;
    mean.progression += m.progression / actions;
    mean.kendall_tau += m.kendall_tau / actions;
    for (size_t k = 0; k < options.ks.size(); ++k) mean.precision_at_k[k] += m.precision_at_k[k] / actions;
    mean.per_action.push_back(std::move(m));
  }
  return mean;
}

}  // namespace repro
