// A progress meter for long runs: one line to stderr (or any FILE*) every `log_every` steps and at
// the end, e.g.
//   fmnist/resnet: step 400/4690 loss 0.3912 2381 samples/s ETA 0:03:00
// Throughput counts the samples since the meter started (a resumed run counts only its own steps).
#ifndef COMMON_TRAIN_PROGRESS_H_
#define COMMON_TRAIN_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace repro {

class ProgressMeter {
 public:
  // Steps are 0-based; `start_step` is where this run begins (non-zero after a resume).
  // log_every <= 0: no lines until Finish().
  ProgressMeter(std::string label, int64_t total_steps, int64_t start_step, int64_t log_every,
                std::FILE* out = stderr);

  // Records that step `step` finished with `loss` after `samples` samples; prints a line when
  // (step + 1) is a multiple of log_every.
  void Update(int64_t step, double loss, int64_t samples);

  // Prints the closing line (when any step ran and log_every > 0) and stops the clock.
  void Finish();

  double samples_per_second() const;
  double wall_seconds() const;
  // The line Update would print now (for tests and custom logs).
  std::string Line() const;

 private:
  using Clock = std::chrono::steady_clock;
  double ElapsedSeconds() const;

  std::string label_;
  int64_t total_steps_;
  int64_t start_step_;
  int64_t log_every_;
  std::FILE* out_;
  Clock::time_point start_;
  Clock::time_point end_;
  bool finished_ = false;
  int64_t last_step_ = -1;
  double last_loss_ = 0;
  int64_t samples_ = 0;
};

// "h:mm:ss" for a duration in seconds ("-" when not finite or negative).
std::string FormatDuration(double seconds);

}  // namespace repro

#endif  // COMMON_TRAIN_PROGRESS_H_
