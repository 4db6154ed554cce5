// The exploration → exploitation schedule of Spartan (spec shared/papers/spartan.md §2.6), shared by
// every sparsification method so that they differ only in how they pick and train the mask:
//
//   density  ρ(s) = 1 − min(1, s / (warmup_frac · T)) · (1 − ρ_final)      (cost fraction kept)
//   sharpness β(s) = β_0 + min(1, s / ((1 − finetune_frac) · T)) · (β_final · √(b_h b_w) − β_0)
//   masks are updated while s <= (1 − finetune_frac) · T, then frozen for fixed-mask fine-tuning.
//
// s is the 1-based optimizer step, T the total number of steps.
#ifndef SPARTAN_SPARSITY_SCHEDULE_H_
#define SPARTAN_SPARSITY_SCHEDULE_H_

#include <cstdint>

namespace repro::spartan {

struct SparsityScheduleOptions {
  int64_t total_steps = 1;
  double final_density = 0.1;  // ρ_final, the kept cost fraction at the end of the ramp
  double warmup_frac = 0.2;    // density ramp length, fraction of T
  double finetune_frac = 0.2;  // fixed-mask fine-tuning at the end, fraction of T
  double beta_init = 1.0;
  double beta_final = 20.0;   // before the block scaling
  int64_t block_size = 1;     // b_h · b_w; β_final is multiplied by √block_size
};

class SparsitySchedule {
 public:
  explicit SparsitySchedule(const SparsityScheduleOptions& options);

  double DensityAt(int64_t step) const;
  double BetaAt(int64_t step) const;
  // The last step whose mask is still updated: round((1 − finetune_frac) · T).
  int64_t freeze_step() const { return freeze_step_; }
  bool FrozenAt(int64_t step) const { return step > freeze_step_; }
  // The step at which the density reaches its final value: ceil(warmup_frac · T).
  int64_t ramp_end_step() const { return ramp_end_step_; }

  const SparsityScheduleOptions& options() const { return options_; }

 private:
  SparsityScheduleOptions options_;
  int64_t freeze_step_;
  int64_t ramp_end_step_;
};

}  // namespace repro::spartan

#endif  // SPARTAN_SPARSITY_SCHEDULE_H_
