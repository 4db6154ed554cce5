#include "backfill/schedule.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace repro::backfill {
namespace {

TEST(ScheduleTest, RandomOrderIsASeededPermutation) {
  const torch::Tensor ids = torch::arange(100, torch::kInt64) + 1000;
  auto a = MakeBackfillOrder(OrderPolicy::kRandom, ids, 1);
  auto b = MakeBackfillOrder(OrderPolicy::kRandom, ids, 1);
  auto c = MakeBackfillOrder(OrderPolicy::kRandom, ids, 2);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(CheckPermutation(*a, ids).ok());
  EXPECT_TRUE(a->equal(*b));
  EXPECT_FALSE(a->equal(*c));
  EXPECT_FALSE(a->equal(ids));
  EXPECT_TRUE(std::get<0>(a->sort()).equal(ids));
}

TEST(ScheduleTest, IdOrderAndExplicitOrder) {
  const torch::Tensor ids = torch::tensor({5, 3, 9}, torch::kInt64);
  auto sorted = MakeBackfillOrder(OrderPolicy::kIdOrder, ids, 0);
  ASSERT_TRUE(sorted.ok());
  EXPECT_TRUE(sorted->equal(torch::tensor({3, 5, 9}, torch::kInt64)));
  auto given = MakeBackfillOrder(OrderPolicy::kExplicit, ids, 0, {9, 5, 3});
  ASSERT_TRUE(given.ok());
  EXPECT_TRUE(given->equal(torch::tensor({9, 5, 3}, torch::kInt64)));
}

TEST(ScheduleTest, NonPermutationsAreRejectedWithTheReason) {
  const torch::Tensor ids = torch::tensor({5, 3, 9}, torch::kInt64);
  struct Case {
    std::vector<int64_t> order;
    const char* reason;
  };
  for (const Case& c : std::vector<Case>{{{9, 5}, "2 entries for 3 gallery items"},
                                         {{9, 5, 5}, "id 5 appears more than once"},
                                         {{9, 5, 4}, "id 4, which is not a gallery item"},
                                         {{}, "0 entries for 3"}}) {
    auto order = MakeBackfillOrder(OrderPolicy::kExplicit, ids, 0, c.order);
    ASSERT_FALSE(order.ok()) << c.reason;
    EXPECT_NE(std::string(order.status().message()).find(c.reason), std::string::npos)
        << order.status();
    EXPECT_NE(std::string(order.status().message()).find("not a permutation"), std::string::npos);
  }
}

TEST(ScheduleTest, StepBoundariesAndProgress) {
  EXPECT_EQ(StepBoundaries(10000, 10),
            (std::vector<int64_t>{0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000,
                                  10000}));
  EXPECT_EQ(StepBoundaries(7, 3), (std::vector<int64_t>{0, 2, 5, 7}));
  const std::vector<double> t = ProgressPoints(10);
  ASSERT_EQ(t.size(), 11u);
  EXPECT_DOUBLE_EQ(t[0], 0.0);
  EXPECT_DOUBLE_EQ(t[3], 0.3);
  EXPECT_DOUBLE_EQ(t[10], 1.0);
  EXPECT_THROW(StepBoundaries(10, 0), c10::Error);
}

}  // namespace
}  // namespace repro::backfill
