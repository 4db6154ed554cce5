#include "common/results/section_builder.h"

#include <cmath>

#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(SectionBuilderTest, MeanAndSampleStd) {
  const auto [mean, std] = MeanAndStd({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(mean, 2.0);
  EXPECT_DOUBLE_EQ(std, 1.0);
  EXPECT_DOUBLE_EQ(MeanAndStd({5.0}).second, 0.0);
  EXPECT_TRUE(std::isnan(MeanAndStd({}).first));
}

TEST(SectionBuilderTest, BuildsRowsInFirstSeenOrder) {
  SectionBuilder table("t", {"a", "b"}, 1);
  table.Add("second", "a", 1.0);
  table.Add("first", "b", 4.0);
  table.Add("second", "a", 3.0);
  table.SetText("first", "a", "n/a");
  EXPECT_DOUBLE_EQ(table.Mean("second", "a"), 2.0);
  const Section section = table.Build();
  ASSERT_EQ(section.rows_size(), 2);
  EXPECT_EQ(section.rows(0).label(), "second");
  EXPECT_EQ(section.rows(0).cells(0).n(), 2);
  EXPECT_EQ(section.rows(0).cells(1).n(), 0);
  EXPECT_EQ(section.rows(1).cells(0).text(), "n/a");
  EXPECT_DOUBLE_EQ(section.rows(1).cells(1).mean(), 4.0);
}

TEST(SectionBuilderDeathTest, UnknownColumnIsAProgrammingError) {
  SectionBuilder table("t", {"a"});
  EXPECT_DEATH(table.Add("r", "zzz", 1.0), "unknown column");
}

}  // namespace
}  // namespace repro
