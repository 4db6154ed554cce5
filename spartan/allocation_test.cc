// Tests of the ERK allocation: densities follow (Σ n)/(Π n) up to one global scale, full layers are
// clipped at density 1 and the rest re-solved, and the integer counts add up exactly.
#include "spartan/allocation.h"

#include <numeric>

#include "gtest/gtest.h"

namespace repro::spartan {
namespace {

TEST(AllocationTest, ErkDensitiesAreProportionalToTheErkScore) {
  const std::vector<std::vector<int64_t>> shapes = {{64, 32, 3, 3}, {128, 64, 3, 3}, {10, 128}};
  const double total = 0.1 * (64 * 32 * 9 + 128 * 64 * 9 + 10 * 128);
  const std::vector<double> d = ErkDensities(shapes, total);
  const double s0 = (64.0 + 32 + 3 + 3) / (64.0 * 32 * 9);
  const double s1 = (128.0 + 64 + 3 + 3) / (128.0 * 64 * 9);
  EXPECT_NEAR(d[0] / d[1], s0 / s1, 1e-9);
  EXPECT_LE(d[2], 1.0);
  double kept = d[0] * 64 * 32 * 9 + d[1] * 128 * 64 * 9 + d[2] * 10 * 128;
  EXPECT_NEAR(kept, total, 1e-6);
}

TEST(AllocationTest, SmallLayersAreClippedAtDenseAndTheRestResolved) {
  // The 4x2 layer's ERK score is huge: it becomes dense and the big layer takes the rest.
  const std::vector<std::vector<int64_t>> shapes = {{4, 2}, {100, 100}};
  const std::vector<double> d = ErkDensities(shapes, 1008.0);
  EXPECT_DOUBLE_EQ(d[0], 1.0);
  EXPECT_NEAR(d[1], 1000.0 / 10000.0, 1e-12);
}

TEST(AllocationTest, CountsAddUpExactly) {
  const std::vector<std::vector<int64_t>> shapes = {{8, 1, 3, 3}, {16, 8, 3, 3}, {10, 16}, {7, 5}};
  int64_t numel = 8 * 9 + 16 * 72 + 160 + 35;
  for (int64_t total : {1L, 17L, 100L, 777L, numel}) {
    const std::vector<int64_t> c = ErkCounts(shapes, total);
    EXPECT_EQ(std::accumulate(c.begin(), c.end(), int64_t{0}), total);
    EXPECT_LE(c[0], 72);
    EXPECT_LE(c[3], 35);
  }
}

}  // namespace
}  // namespace repro::spartan
