// Learning-rate schedules by step: linear warm-up followed by cosine decay (Loshchilov & Hutter,
// SGDR, 2017, without restarts), or a constant rate (after the same warm-up).
//
//   ScheduleOptions o;
//   o.base_lr = 0.1; o.warmup_steps = 100; o.total_steps = 1000;
//   LearningRateSchedule schedule(o);
//   ApplyLearningRate(*optimizer, schedule.LearningRateAt(step));
#ifndef COMMON_TRAIN_SCHEDULE_H_
#define COMMON_TRAIN_SCHEDULE_H_

#include <cstdint>

namespace torch::optim {
class Optimizer;
}  // namespace torch::optim

namespace repro {

enum class ScheduleKind { kCosine, kConstant };

struct ScheduleOptions {
  ScheduleKind kind = ScheduleKind::kCosine;
  double base_lr = 0.1;
  double min_lr = 0.0;        // the cosine's floor, reached at total_steps
  int64_t warmup_steps = 0;   // lr = base_lr * (step + 1) / warmup_steps for step < warmup_steps
  int64_t total_steps = 1;    // steps of the whole run, warm-up included
};

class LearningRateSchedule {
 public:
  explicit LearningRateSchedule(const ScheduleOptions& options);

  // Learning rate for 0-based `step`:
  //   step < W:  base * (step + 1) / W
  //   cosine:    min + (base - min) * (1 + cos(pi * (step - W) / (T - W))) / 2, clamped at T
  //   constant:  base
  double LearningRateAt(int64_t step) const;

  const ScheduleOptions& options() const { return options_; }

 private:
  ScheduleOptions options_;
};

// Sets the learning rate of every parameter group of `optimizer` to `lr`.
void ApplyLearningRate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace repro

#endif  // COMMON_TRAIN_SCHEDULE_H_
