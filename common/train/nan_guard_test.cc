#include "common/train/nan_guard.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(NanGuardTest, FiniteLossPasses) {
  EXPECT_TRUE(CheckLossFinite(0.5, 3).ok());
  EXPECT_TRUE(CheckLossFinite(0.0, 0, "/x", 1).ok());
}

TEST(NanGuardTest, NanNamesStepAndCheckpoint) {
  const absl::Status s = CheckLossFinite(std::nan(""), 12, "/tmp/run/ckpt", 10);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(),
            "loss is NaN at step 12; last good checkpoint kept at /tmp/run/ckpt (step 10)");
}

TEST(NanGuardTest, InfWithoutCheckpoint) {
  const absl::Status s = CheckLossFinite(std::numeric_limits<double>::infinity(), 0);
  EXPECT_EQ(s.message(),
            "loss is +Inf at step 0; no checkpoint was written; lower the learning rate or check "
            "the data");
  EXPECT_NE(CheckLossFinite(-std::numeric_limits<double>::infinity(), 4, "/c", -1)
                .message()
                .find("-Inf at step 4; no checkpoint"),
            std::string::npos);
}

}  // namespace
}  // namespace repro
