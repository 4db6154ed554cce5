#include "common/train/progress.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_format.h"

namespace repro {

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const int64_t total = static_cast<int64_t>(std::llround(seconds));
  return absl::StrFormat("%d:%02d:%02d", total / 3600, (total / 60) % 60, total % 60);
}

ProgressMeter::ProgressMeter(std::string label, int64_t total_steps, int64_t start_step,
                             int64_t log_every, std::FILE* out)
    : label_(std::move(label)),
      total_steps_(total_steps),
      start_step_(start_step),
      log_every_(log_every),
      out_(out),
      start_(Clock::now()) {}

double ProgressMeter::ElapsedSeconds() const {
  const Clock::time_point end = finished_ ? end_ : Clock::now();
  return std::chrono::duration<double>(end - start_).count();
}

double ProgressMeter::wall_seconds() const { return ElapsedSeconds(); }

double ProgressMeter::samples_per_second() const {
  const double seconds = ElapsedSeconds();
  return seconds > 0 ? static_cast<double>(samples_) / seconds : 0.0;
}

std::string ProgressMeter::Line() const {
  const int64_t done = last_step_ + 1;
  const int64_t steps_this_run = done - start_step_;
  const double seconds = ElapsedSeconds();
  const double eta = steps_this_run > 0
                         ? seconds / static_cast<double>(steps_this_run) *
                               static_cast<double>(total_steps_ - done)
                         : NAN;
  return absl::StrFormat("%s: step %d/%d loss %.4f %.0f samples/s ETA %s", label_, done,
                         total_steps_, last_loss_, samples_per_second(), FormatDuration(eta));
}

void ProgressMeter::Update(int64_t step, double loss, int64_t samples) {
  last_step_ = step;
  last_loss_ = loss;
  samples_ += samples;
  if (log_every_ > 0 && out_ != nullptr && (step + 1) % log_every_ == 0) {
    std::fprintf(out_, "%s\n", Line().c_str());
    std::fflush(out_);
  }
}

void ProgressMeter::Finish() {
  if (finished_) return;
  end_ = Clock::now();
  finished_ = true;
  if (log_every_ > 0 && out_ != nullptr && last_step_ >= start_step_ &&
      (last_step_ + 1) % log_every_ != 0) {
    std::fprintf(out_, "%s\n", Line().c_str());
    std::fflush(out_);
  }
}

}  // namespace repro
