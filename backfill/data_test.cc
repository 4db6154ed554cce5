#include "backfill/data.h"

#include <set>

#include "gtest/gtest.h"

namespace repro::backfill {
namespace {

TEST(SampleQueriesTest, TakesPerClassRowsDeterministically) {
  const torch::Tensor labels = torch::arange(100, torch::kInt64) % 4;  // 25 per class
  const torch::Tensor rows = SampleQueries(labels, 3, 0);
  ASSERT_EQ(rows.size(0), 12);
  const torch::Tensor counts = torch::bincount(labels.index_select(0, rows));
  EXPECT_TRUE(counts.equal(torch::full({4}, 3, torch::kInt64)));
  EXPECT_TRUE((rows.slice(0, 1) > rows.slice(0, 0, -1)).all().item<bool>());  // ascending, distinct
  EXPECT_TRUE(rows.equal(SampleQueries(labels, 3, 0)));
  EXPECT_FALSE(rows.equal(SampleQueries(labels, 3, 1)));
  // More than a class holds: all of it.
  EXPECT_EQ(SampleQueries(labels, 30, 0).size(0), 100);
  EXPECT_TRUE(SampleQueries(labels, 0, 0).equal(torch::arange(100, torch::kInt64)));
}

}  // namespace
}  // namespace repro::backfill
