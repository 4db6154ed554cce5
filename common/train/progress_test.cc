#include "common/train/progress.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace repro {
namespace {

std::string ReadAll(std::FILE* f) {
  std::rewind(f);
  std::string text;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, f) != nullptr) text += buffer;
  return text;
}

int CountLines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST(ProgressTest, PrintsEveryLogEveryStepsAndAtTheEnd) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  ProgressMeter meter("fmnist/resnet", 10, 0, 4, out);
  for (int64_t step = 0; step < 10; ++step) {
    meter.Update(step, 1.0 / (step + 1), 32);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  meter.Finish();
  const std::string text = ReadAll(out);
  std::fclose(out);
  EXPECT_EQ(CountLines(text), 3) << text;  // steps 4, 8 and the closing line at 10
  EXPECT_NE(text.find("fmnist/resnet: step 4/10 loss 0.2500 "), std::string::npos) << text;
  EXPECT_NE(text.find("step 10/10 loss 0.1000 "), std::string::npos) << text;
  EXPECT_NE(text.find("samples/s ETA 0:00:00"), std::string::npos) << text;
  EXPECT_GT(meter.samples_per_second(), 0.0);
  // 320 samples in at least 10 ms.
  EXPECT_LE(meter.samples_per_second(), 320 / 0.010);
  EXPECT_NEAR(meter.samples_per_second() * meter.wall_seconds(), 320.0, 1e-6);
}

TEST(ProgressTest, ResumedRunCountsOnlyItsOwnSteps) {
  std::FILE* out = std::tmpfile();
  ProgressMeter meter("x", 100, 90, 0, out);
  meter.Update(90, 0.5, 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  meter.Finish();
  EXPECT_EQ(ReadAll(out), "");  // log_every 0: silent
  std::fclose(out);
  EXPECT_NEAR(meter.samples_per_second() * meter.wall_seconds(), 10.0, 1e-6);
  EXPECT_NE(meter.Line().find("step 91/100"), std::string::npos);
}

TEST(ProgressTest, FormatDuration) {
  EXPECT_EQ(FormatDuration(0), "0:00:00");
  EXPECT_EQ(FormatDuration(3725.4), "1:02:05");
  EXPECT_EQ(FormatDuration(-1), "-");
  EXPECT_EQ(FormatDuration(NAN), "-");
}

}  // namespace
}  // namespace repro
