#include "mvformer/trainer.h"

#include <chrono>

#include "common/port/status_macros.h"
#include "common/train/nan_guard.h"
#include "common/train/optimizer.h"
#include "common/train/progress.h"
#include "common/train/schedule.h"
#include "common/train/seed.h"
#include "mvformer/sampling.h"

namespace repro::mvformer {
namespace {

constexpr uint64_t kShuffleStream = 0x53485546464c4501ULL;  // "SHUFFLE"
constexpr uint64_t kViewStream = 0x5649455753000001ULL;     // "VIEWS"
constexpr uint64_t kDropoutStream = 0x44524f504f555401ULL;  // "DROPOUT"

}  // namespace

absl::StatusOr<MvFormerTrainReport> TrainMvFormer(MvFormer& model, const FeatureBank& bank,
                                                  const ChannelRange& channels,
                                                  const MvFormerTrainOptions& options) {
  const int64_t videos = static_cast<int64_t>(bank.train.size());
  if (videos == 0) return absl::InvalidArgumentError("TrainMvFormer: no train videos");
  if (options.steps <= 0 || options.batch_videos <= 0 || options.num_frames <= 0) {
    return absl::InvalidArgumentError("TrainMvFormer: steps, batch_videos and num_frames must be > 0");
  }
  // Every random draw of the run comes from its own generators (views, shuffling, dropout), never
  // from LibTorch's default one, so concurrent runs in one process do not disturb each other.
  torch::Generator dropout_generator = MakeGenerator(options.seed, kDropoutStream);
  model->set_generator(&dropout_generator);
  model->train();
  OptimizerOptions optimizer_options;
  optimizer_options.kind = OptimizerKind::kAdam;
  optimizer_options.lr = options.lr;
  optimizer_options.weight_decay = options.weight_decay;
  const std::unique_ptr<torch::optim::Optimizer> optimizer = MakeOptimizer(*model, optimizer_options);
  ScheduleOptions schedule_options;
  schedule_options.kind = ScheduleKind::kCosine;
  schedule_options.base_lr = options.lr;
  schedule_options.total_steps = options.steps;
  const LearningRateSchedule schedule(schedule_options);
  const FrontEnd front_end = model->options().front_end();
  const int64_t t = options.num_frames, b = options.batch_videos;
  ProgressMeter progress(options.log_label, options.steps, 0, options.log_every);
  MvFormerTrainReport report;
  torch::Tensor order;
  for (int64_t step = 0; step < options.steps; ++step) {
    std::vector<const VideoFeatures*> clips;
    std::vector<torch::Tensor> frames;
    torch::Tensor steps = torch::empty({b, 2, t}), lengths = torch::empty({b, 2});
    torch::Tensor valid = torch::empty({b, 2, t}, torch::kBool);
    torch::Generator generator = MakeGenerator(options.seed, kViewStream, static_cast<uint64_t>(step));
    for (int64_t i = 0; i < b; ++i) {
      const int64_t k = step * b + i;  // position in the epoch-wise shuffled order
      if (k % videos == 0 || !order.defined()) {
        torch::Generator shuffle = MakeGenerator(options.seed, kShuffleStream, static_cast<uint64_t>(k / videos));
        order = torch::randperm(videos, shuffle, torch::kInt64);
      }
      const int64_t v = order[k % videos].item<int64_t>();
      const std::vector<VideoFeatures>& copies = bank.train[v];
      const int64_t first_copy = copies.size() > 1 ? 1 : 0;
      const int64_t length = copies[0].length();
      for (int64_t view = 0; view < 2; ++view) {
        const int64_t copy =
            first_copy + torch::randint(static_cast<int64_t>(copies.size()) - first_copy, {1}, generator).item<int64_t>();
        const ViewSample sample = TimeAugmentSample(length, t, options.sampling_region, generator);
        clips.push_back(&copies[copy]);
        frames.push_back(sample.frames);
        steps[i][view].copy_(sample.steps);
        valid[i][view].copy_(sample.valid);
        lengths[i][view] = static_cast<float>(length);
      }
    }
    FrameBatch batch = GatherFrames(clips, frames, channels, front_end);
    batch.positions = torch::arange(t, torch::kFloat32).unsqueeze(0).expand({2 * b, t});  // frame rank
    batch.padding = valid.view({2 * b, t}).logical_not();
    ApplyLearningRate(*optimizer, schedule.LearningRateAt(step));
    optimizer->zero_grad();
    const torch::Tensor embeddings = model->forward(batch);
    const torch::Tensor projected =
        torch::nn::functional::normalize(model->project(embeddings),
                                         torch::nn::functional::NormalizeFuncOptions().dim(-1));
    const torch::Tensor loss =
        SequenceContrastiveLoss(projected.view({b, 2, t, -1}), steps, lengths, valid, options.loss);
    const double loss_value = loss.item<double>();
    if (const absl::Status finite = CheckLossFinite(loss_value, step); !finite.ok()) {
      model->set_generator(nullptr);
      return finite;
    }
    loss.backward();
    if (options.clip_grad_norm > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), options.clip_grad_norm);
    optimizer->step();
    if (step == 0) report.first_loss = loss_value;
    report.final_loss = loss_value;
    progress.Update(step, loss_value, 2 * b * t);
  }
  progress.Finish();
  report.steps = options.steps;
  report.frames_per_second = progress.samples_per_second();
  report.wall_seconds = progress.wall_seconds();
  model->set_generator(nullptr);
  model->eval();
  return report;
}

}  // namespace repro::mvformer
