#include "common/metrics/auc.h"

#include <cmath>

#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(ProgressCurveAucTest, HandCheckedCurves) {
  // Constant curve c gives c.
  EXPECT_DOUBLE_EQ(ProgressCurveAuc({0, 0.5, 1}, {0.4, 0.4, 0.4}).value(), 0.4);
  // Linear rise from 0.2 to 0.6 over [0, 1]: 0.4.
  EXPECT_DOUBLE_EQ(ProgressCurveAuc({0, 1}, {0.2, 0.6}).value(), 0.4);
  // Uneven steps, t = 0, 0.1, 0.5, 1 with values 0, 1, 1, 0:
  // 0.1 * 0.5 + 0.4 * 1 + 0.5 * 0.5 = 0.05 + 0.4 + 0.25 = 0.7.
  EXPECT_NEAR(ProgressCurveAuc({0, 0.1, 0.5, 1}, {0, 1, 1, 0}).value(), 0.7, 1e-12);
  // Offline backfilling on 11 steps: old/old = 0.3 until t = 1, then 0.8:
  // 0.9 * 0.3 + 0.1 * (0.3 + 0.8) / 2 = 0.27 + 0.055 = 0.325.
  std::vector<double> t, v;
  for (int i = 0; i <= 10; ++i) {
    t.push_back(i / 10.0);
    v.push_back(i < 10 ? 0.3 : 0.8);
  }
  EXPECT_NEAR(ProgressCurveAuc(t, v).value(), 0.325, 1e-12);
  // A sub-span is normalised by its length: t in [0.5, 1] rising 0 -> 1 gives 0.5.
  EXPECT_DOUBLE_EQ(ProgressCurveAuc({0.5, 1}, {0, 1}).value(), 0.5);
}

TEST(ProgressCurveAucTest, BadCurves) {
  EXPECT_FALSE(ProgressCurveAuc({0}, {1}).ok());
  EXPECT_FALSE(ProgressCurveAuc({0, 1}, {1}).ok());
  EXPECT_FALSE(ProgressCurveAuc({0, 0.5, 0.5, 1}, {1, 1, 1, 1}).ok());
  EXPECT_FALSE(ProgressCurveAuc({0, 1.5}, {1, 1}).ok());
  EXPECT_FALSE(ProgressCurveAuc({-0.1, 1}, {1, 1}).ok());
  absl::StatusOr<double> nan = ProgressCurveAuc({0, 1}, {1, NAN});
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("value[1]"), std::string::npos) << nan.status();
}

TEST(RelativeGainTest, HandChecked) {
  // The offline curve above against old/old 0.3, new/new 0.8: (0.325 - 0.3) / 0.5 = 0.05.
  EXPECT_NEAR(RelativeGain(0.325, 0.3, 0.8).value(), 0.05, 1e-12);
  EXPECT_DOUBLE_EQ(RelativeGain(0.8, 0.3, 0.8).value(), 1.0);
  EXPECT_DOUBLE_EQ(RelativeGain(0.3, 0.3, 0.8).value(), 0.0);
  EXPECT_DOUBLE_EQ(RelativeGain(0.2, 0.3, 0.8).value(), -0.2);  // below old/old: negative
  EXPECT_FALSE(RelativeGain(0.5, 0.4, 0.4).ok());
  EXPECT_FALSE(RelativeGain(NAN, 0.3, 0.8).ok());
}

}  // namespace
}  // namespace repro
