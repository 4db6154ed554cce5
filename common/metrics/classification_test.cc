#include "common/metrics/classification.h"

#include <cmath>

#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(TopKAccuracyTest, HandCheckedCase) {
  // Row 0: label 2 is the largest logit          -> top-1 and top-2 correct
  // Row 1: label 0 is second (0.5 < 0.9)         -> top-2 only
  // Row 2: label 1 is the smallest               -> neither (top-3 yes)
  // Row 3: label 1 ties with class 0 at 0.7      -> ranked after class 0: top-2 only
  torch::Tensor logits = torch::tensor({0.1f, 0.2f, 0.9f,  //
                                        0.5f, 0.9f, 0.1f,  //
                                        0.3f, -1.0f, 0.4f,  //
                                        0.7f, 0.7f, 0.1f})
                             .view({4, 3});
  torch::Tensor labels = torch::tensor({2, 0, 1, 1}, torch::kInt64);
  EXPECT_DOUBLE_EQ(TopKAccuracy(logits, labels, 1), 0.25);
  EXPECT_DOUBLE_EQ(TopKAccuracy(logits, labels, 2), 0.75);
  EXPECT_DOUBLE_EQ(TopKAccuracy(logits, labels, 3), 1.0);
}

TEST(TopKAccuracyTest, TopOneEqualsArgmaxAndConstantLogitsAreNotFree) {
  torch::manual_seed(1);
  torch::Tensor logits = torch::randint(0, 3, {200, 5}).to(torch::kFloat32);  // many ties
  torch::Tensor labels = torch::randint(0, 5, {200}, torch::kInt64);
  const double want = (logits.argmax(1) == labels).to(torch::kFloat64).mean().item<double>();
  EXPECT_DOUBLE_EQ(TopKAccuracy(logits, labels, 1), want);
  // All-equal logits: only label 0 counts at k = 1 (argmax picks class 0).
  torch::Tensor flat = torch::zeros({4, 5});
  EXPECT_DOUBLE_EQ(TopKAccuracy(flat, torch::tensor({0, 1, 2, 3}, torch::kInt64), 1), 0.25);
  EXPECT_DOUBLE_EQ(TopKAccuracy(flat, torch::tensor({0, 1, 2, 3}, torch::kInt64), 3), 0.75);
}

TEST(TopKAccuracyTest, BadInput) {
  torch::Tensor logits = torch::zeros({2, 3});
  torch::Tensor labels = torch::tensor({0, 1}, torch::kInt64);
  EXPECT_THROW(TopKAccuracy(logits, labels, 0), c10::Error);
  EXPECT_THROW(TopKAccuracy(logits, labels, 4), c10::Error);
  EXPECT_THROW(TopKAccuracy(logits, torch::tensor({0, 3}, torch::kInt64), 1), c10::Error);
  EXPECT_THROW(TopKAccuracy(logits, torch::tensor({0}, torch::kInt64), 1), c10::Error);
  EXPECT_THROW(TopKAccuracy(torch::full({2, 3}, NAN), labels, 1), c10::Error);
  EXPECT_TRUE(std::isnan(TopKAccuracy(torch::zeros({0, 3}), torch::zeros({0}, torch::kInt64), 1)));
}

}  // namespace
}  // namespace repro
