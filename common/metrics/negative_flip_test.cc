#include "common/metrics/negative_flip.h"

#include <vector>

#include "gtest/gtest.h"

namespace repro {
namespace {

torch::Tensor Bools(const std::vector<int>& values) {
  return torch::tensor(std::vector<int64_t>(values.begin(), values.end())).to(torch::kBool);
}

TEST(Top1CorrectTest, ComparesFirstRankedLabel) {
  // Gallery labels by index: 0:a(1) 1:b(2) 2:a(1) 3:c(3).
  const torch::Tensor gallery = torch::tensor({1, 2, 1, 3}, torch::kInt64);
  const torch::Tensor queries = torch::tensor({1, 2, 3, 1}, torch::kInt64);
  const torch::Tensor ranked = torch::tensor({{2, 1}, {0, 1}, {3, -1}, {-1, -1}}, torch::kInt64);
  const torch::Tensor correct = Top1Correct(ranked, queries, gallery);
  EXPECT_TRUE(correct.equal(Bools({1, 0, 1, 0})));  // an empty list counts as wrong
}

TEST(Top1CorrectTest, RejectsOutOfRangeIds) {
  const torch::Tensor gallery = torch::tensor({1, 2}, torch::kInt64);
  const torch::Tensor queries = torch::tensor({1}, torch::kInt64);
  EXPECT_THROW(Top1Correct(torch::tensor({{5}}, torch::kInt64), queries, gallery), c10::Error);
  EXPECT_THROW(Top1Correct(torch::tensor({{-3}}, torch::kInt64), queries, gallery), c10::Error);
  EXPECT_THROW(Top1Correct(torch::tensor({{0}}, torch::kInt64), torch::tensor({1, 2}), gallery),
               c10::Error);
}

TEST(FlipRateTest, CountsCorrectToWrongOnly) {
  const torch::Tensor before = Bools({1, 1, 0, 0, 1});
  const torch::Tensor after = Bools({1, 0, 1, 0, 0});
  EXPECT_DOUBLE_EQ(NegativeFlipRate(before, after), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(PositiveFlipRate(before, after), 1.0 / 5.0);
  EXPECT_DOUBLE_EQ(NegativeFlipRate(before, before), 0.0);
  EXPECT_DOUBLE_EQ(NegativeFlipRate(after, before), 1.0 / 5.0);
}

TEST(FlipRateTest, RejectsMismatchedInputs) {
  EXPECT_THROW(NegativeFlipRate(Bools({1, 0}), Bools({1})), c10::Error);
  EXPECT_THROW(NegativeFlipRate(torch::tensor({1, 0}), Bools({1, 0})), c10::Error);
  EXPECT_THROW(NegativeFlipRate(Bools({}), Bools({})), c10::Error);
}

}  // namespace
}  // namespace repro
