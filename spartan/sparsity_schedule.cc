// Density and sharpness schedules of the sparsifier (sparsity_schedule.h).
#include "spartan/sparsity_schedule.h"

#include <algorithm>
#include <cmath>

namespace repro::spartan {

SparsitySchedule::SparsitySchedule(const SparsityScheduleOptions& options) : options_(options) {
  const double t = static_cast<double>(std::max<int64_t>(options_.total_steps, 1));
  freeze_step_ = std::llround((1.0 - options_.finetune_frac) * t);
  ramp_end_step_ = static_cast<int64_t>(std::ceil(options_.warmup_frac * t));
}

double SparsitySchedule::DensityAt(int64_t step) const {
  const double ramp = options_.warmup_frac * static_cast<double>(options_.total_steps);
  const double progress = ramp <= 0.0 ? 1.0 : std::min(1.0, static_cast<double>(step) / ramp);
  return 1.0 - progress * (1.0 - options_.final_density);
}

double SparsitySchedule::BetaAt(int64_t step) const {
  const double ramp = static_cast<double>(freeze_step_);
  const double progress = ramp <= 0.0 ? 1.0 : std::min(1.0, static_cast<double>(step) / ramp);
  const double target =
      options_.beta_final * std::sqrt(static_cast<double>(std::max<int64_t>(options_.block_size, 1)));
  return options_.beta_init + progress * (target - options_.beta_init);
}

}  // namespace repro::spartan
