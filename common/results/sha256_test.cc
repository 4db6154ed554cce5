#include "common/results/sha256.h"

#include "common/results/cache_path.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CachePathTest, KeyedByText) {
  EXPECT_EQ(CachedModelPath("/c", "bt2", "old", "abc"), "/c/bt2/old-ba7816bf8f01cfea4141.pt");
  EXPECT_NE(CachedModelPath("/c", "bt2", "old", "abc"), CachedModelPath("/c", "bt2", "old", "abd"));
}

}  // namespace
}  // namespace repro
