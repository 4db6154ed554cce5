#include "common/port/threads.h"

#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(ThreadsTest, SetsRequestedCountAndDefaultsToAllCores) {
  EXPECT_EQ(SetThreads(1), 1);
  EXPECT_EQ(SetThreads(0), HardwareThreads());
}

}  // namespace
}  // namespace repro
