#include "common/train/schedule.h"

#include <algorithm>
#include <cmath>

#include "common/port/torch.h"

namespace repro {

LearningRateSchedule::LearningRateSchedule(const ScheduleOptions& options) : options_(options) {
  TORCH_CHECK(options_.total_steps > 0, "schedule: total_steps must be positive, got ",
              options_.total_steps);
  TORCH_CHECK(options_.warmup_steps >= 0 && options_.warmup_steps <= options_.total_steps,
              "schedule: warmup_steps must lie in [0, total_steps], got ", options_.warmup_steps);
  TORCH_CHECK(options_.base_lr >= 0 && options_.min_lr >= 0 && options_.min_lr <= options_.base_lr,
              "schedule: need 0 <= min_lr <= base_lr, got ", options_.min_lr, " and ",
              options_.base_lr);
}

double LearningRateSchedule::LearningRateAt(int64_t step) const {
  const ScheduleOptions& o = options_;
  step = std::max<int64_t>(step, 0);
  if (step < o.warmup_steps) {
    return o.base_lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  }
  if (o.kind == ScheduleKind::kConstant) return o.base_lr;
  const int64_t decay_steps = o.total_steps - o.warmup_steps;
  if (decay_steps <= 0) return o.base_lr;
  const double progress =
      std::min(1.0, static_cast<double>(step - o.warmup_steps) / static_cast<double>(decay_steps));
  return o.min_lr + (o.base_lr - o.min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

void ApplyLearningRate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace repro
