#include "bt2/evaluate.h"

#include "bt2/data.h"
#include "gtest/gtest.h"

namespace repro::bt2 {
namespace {

// Four test images, labels [0, 0, 1, 1]; queries: the first image of each class (0 and 2).
//   old (gallery) embeddings: g0 (1, 0), g1 (0.8, 0.6), g2 (0.6, 0.8), g3 (0, 1)
//   new (query) embeddings: the old ones plus a third, misleading dimension.
// Query 0 (class 0) on the first 2 dims, itself left out: g1 0.8 (relevant), g2 0.6, g3 0
//   -> top-1 hit, AP 1.
// Query 2 (class 1): g1 0.96, g3 0.8 (relevant), g0 0.6 -> top-1 miss, AP 1/2.
//   (Were it not left out, it would find itself first.)
TEST(MeasureCaseTest, HandCheckedTruncatedLeaveOneOut) {
  const torch::Tensor labels = torch::tensor({0, 0, 1, 1}, torch::kInt64);
  const torch::Tensor old_embeddings =
      torch::tensor({{1.f, 0.f}, {0.8f, 0.6f}, {0.6f, 0.8f}, {0.f, 1.f}});
  const torch::Tensor new_embeddings =
      torch::cat({old_embeddings, torch::tensor({{5.f}, {-5.f}, {-5.f}, {5.f}})}, 1);
  const torch::Tensor queries = FixedQueries(labels, 1);
  ASSERT_TRUE(torch::equal(queries, torch::tensor({0, 2}, torch::kInt64)));

  const absl::StatusOr<CaseResult> new_old =
      MeasureCase("new", new_embeddings, "old", old_embeddings, labels, queries);
  ASSERT_TRUE(new_old.ok()) << new_old.status();
  EXPECT_EQ(new_old->dim, 2);
  EXPECT_DOUBLE_EQ(new_old->top1, 50.0);
  EXPECT_DOUBLE_EQ(new_old->map, 75.0);

  // new/new uses all 3 dims: the third one now decides (g3 for query 0 scores 25; g1 for query 2
  // scores 25.96), so both top-1 results are wrong.
  const absl::StatusOr<CaseResult> new_new =
      MeasureCase("new", new_embeddings, "new", new_embeddings, labels, queries);
  ASSERT_TRUE(new_new.ok());
  EXPECT_EQ(new_new->dim, 3);
  EXPECT_DOUBLE_EQ(new_new->top1, 0.0);
}

TEST(MeasureCaseTest, MismatchedItemCountsAreAnError) {
  const torch::Tensor labels = torch::tensor({0, 1, 0}, torch::kInt64);
  const absl::StatusOr<CaseResult> result =
      MeasureCase("new", torch::randn({3, 4}), "old", torch::randn({2, 4}), labels,
                  torch::tensor({0}, torch::kInt64));
  EXPECT_FALSE(result.ok());
}

TEST(FixedQueriesTest, FirstItemsOfEachClassInDataOrder) {
  const torch::Tensor labels = torch::tensor({2, 0, 2, 1, 0, 2, 1, 0}, torch::kInt64);
  EXPECT_TRUE(torch::equal(FixedQueries(labels, 2), torch::tensor({0, 1, 2, 3, 4, 6}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(FixedQueries(labels, 0), torch::arange(8, torch::kInt64)));
}

}  // namespace
}  // namespace repro::bt2
