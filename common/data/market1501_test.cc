// Market-1501 loader on a tiny generated release tree (real JPEGs written with OpenCV).
#include "common/data/market1501.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"

namespace repro {
namespace {

namespace fs = std::filesystem;

fs::path FreshRoot(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const fs::path root = fs::path(tmp != nullptr ? tmp : "/tmp") / name;
  fs::remove_all(root);
  fs::create_directories(root);
  return root;
}

// A solid-colour JPEG (BGR order as OpenCV writes) of 20 x 10 pixels.
void WriteJpeg(const fs::path& path, int blue, int green, int red) {
  fs::create_directories(path.parent_path());
  cv::Mat image(20, 10, CV_8UC3, cv::Scalar(blue, green, red));
  ASSERT_TRUE(cv::imwrite(path.string(), image)) << path;
}

// Two training identities (0007 and 0003), two queries, a gallery with a same-camera match, a
// cross-camera match, a distractor and a junk detection.
fs::path MakeTree(const std::string& name) {
  const fs::path root = FreshRoot(name);
  WriteJpeg(root / "bounding_box_train" / "0007_c1s1_000100_01.jpg", 0, 0, 255);
  WriteJpeg(root / "bounding_box_train" / "0003_c2s1_000200_01.jpg", 0, 255, 0);
  WriteJpeg(root / "bounding_box_train" / "0007_c3s2_000300_02.jpg", 255, 0, 0);
  std::ofstream(root / "bounding_box_train" / "Thumbs.db") << "not an image";
  WriteJpeg(root / "query" / "0001_c1s1_001051_00.jpg", 0, 0, 255);
  WriteJpeg(root / "query" / "0002_c2s1_000301_00.jpg", 0, 255, 0);
  WriteJpeg(root / "bounding_box_test" / "0001_c1s1_001101_01.jpg", 0, 0, 255);  // same cam
  WriteJpeg(root / "bounding_box_test" / "0001_c4s2_000101_01.jpg", 0, 0, 255);  // other cam
  WriteJpeg(root / "bounding_box_test" / "0000_c2s1_000001_02.jpg", 90, 90, 90);  // distractor
  WriteJpeg(root / "bounding_box_test" / "-1_c1s1_000401_03.jpg", 9, 9, 9);       // junk
  WriteJpeg(root / "bounding_box_test" / "0002_c3s1_000401_01.jpg", 0, 255, 0);
  return root;
}

TEST(ParseMarket1501NameTest, ParsesIdentityAndCamera) {
  auto name = ParseMarket1501Name("0002_c1s1_000451_03.jpg");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->person_id, 2);
  EXPECT_EQ(name->camera, 1);
  auto junk = ParseMarket1501Name("-1_c6s3_001234_05.jpg");
  ASSERT_TRUE(junk.ok()) << junk.status();
  EXPECT_EQ(junk->person_id, -1);
  EXPECT_EQ(junk->camera, 6);
}

TEST(ParseMarket1501NameTest, RejectsOtherNames) {
  for (const char* bad : {"0002_c1s1_000451_03.png", "2_c1s1_000451_03.jpg", "0002c1s1.jpg",
                          "0002_c0s1_000451_03.jpg", "abcd_c1s1_000451_03.jpg"}) {
    auto name = ParseMarket1501Name(bad);
    EXPECT_FALSE(name.ok()) << bad;
    EXPECT_NE(std::string(name.status().message()).find(bad), std::string::npos);
  }
}

TEST(LoadMarket1501Test, ReadsSplitsIdentitiesCamerasAndPixels) {
  const fs::path root = MakeTree("market_ok");
  auto market = LoadMarket1501(root.string(), Market1501Options().height(8).width(4));
  ASSERT_TRUE(market.ok()) << market.status();

  // Training: sorted file names; identities 3 and 7 become classes 0 and 1.
  ASSERT_EQ(market->train.size(), 3);
  EXPECT_EQ(market->train.files[0], "0003_c2s1_000200_01.jpg");
  EXPECT_EQ(market->train.person_ids[0].item<int64_t>(), 3);
  EXPECT_EQ(market->train.data.labels[0].item<int64_t>(), 0);
  EXPECT_EQ(market->train.data.labels[1].item<int64_t>(), 1);
  EXPECT_EQ(market->train.data.labels[2].item<int64_t>(), 1);
  EXPECT_EQ(market->train.cameras[2].item<int64_t>(), 3);
  EXPECT_EQ(market->train.data.images.sizes(), (std::vector<int64_t>{3, 3, 8, 4}));
  // 0003 is pure green: RGB = (0, 1, 0) up to JPEG rounding.
  const torch::Tensor mean_rgb = market->train.data.images[0].mean({1, 2});
  EXPECT_NEAR(mean_rgb[0].item<float>(), 0.0f, 0.03f);
  EXPECT_NEAR(mean_rgb[1].item<float>(), 1.0f, 0.03f);
  EXPECT_NEAR(mean_rgb[2].item<float>(), 0.0f, 0.03f);
  // 0007_c1 is pure red.
  const torch::Tensor red = market->train.data.images[1].mean({1, 2});
  EXPECT_NEAR(red[0].item<float>(), 1.0f, 0.03f);
  EXPECT_NEAR(red[2].item<float>(), 0.0f, 0.03f);

  // Query and gallery keep raw person ids as labels.
  ASSERT_EQ(market->query.size(), 2);
  EXPECT_EQ(market->query.data.labels[1].item<int64_t>(), 2);
  ASSERT_EQ(market->gallery.size(), 5);
  // Sorted: "-1_..." < "0000_..." < "0001_c1" < "0001_c4" < "0002".
  EXPECT_EQ(market->gallery.person_ids[0].item<int64_t>(), -1);
  EXPECT_EQ(market->gallery.person_ids[1].item<int64_t>(), 0);
}

TEST(LoadMarket1501Test, IgnoreMaskDropsSameCameraMatchesAndJunk) {
  const fs::path root = MakeTree("market_mask");
  auto market = LoadMarket1501(root.string(), Market1501Options().height(4).width(4));
  ASSERT_TRUE(market.ok()) << market.status();
  const torch::Tensor ignore = ReidIgnoreMask(market->query, market->gallery);
  ASSERT_EQ(ignore.sizes(), (std::vector<int64_t>{2, 5}));
  // Gallery order: junk(c1), distractor(c2), 0001_c1, 0001_c4, 0002_c3.
  const std::vector<std::vector<bool>> expected = {
      {true, false, true, false, false},   // query 0001 from camera 1
      {true, false, false, false, false},  // query 0002 from camera 2
  };
  for (int q = 0; q < 2; ++q) {
    for (int g = 0; g < 5; ++g) {
      EXPECT_EQ(ignore[q][g].item<bool>(), expected[q][g]) << "query " << q << " gallery " << g;
    }
  }
}

TEST(LoadMarket1501Test, MaxPerSplitAndSkippingTrain) {
  const fs::path root = MakeTree("market_max");
  auto market = LoadMarket1501(
      root.string(), Market1501Options().height(4).width(4).max_per_split(2).load_train(false));
  ASSERT_TRUE(market.ok()) << market.status();
  EXPECT_EQ(market->train.size(), 0);
  EXPECT_EQ(market->query.size(), 2);
  EXPECT_EQ(market->gallery.size(), 2);
}

TEST(LoadMarket1501Test, MissingFolderNamesIt) {
  const fs::path root = FreshRoot("market_missing");
  auto market = LoadMarket1501(root.string(), Market1501Options());
  ASSERT_FALSE(market.ok());
  EXPECT_EQ(market.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(market.status().message()).find("bounding_box_train"), std::string::npos);
}

TEST(LoadMarket1501Test, UndecodableImageNamesTheFile) {
  const fs::path root = MakeTree("market_corrupt");
  std::ofstream(root / "query" / "0005_c1s1_000001_00.jpg") << "garbage, not a jpeg";
  auto market = LoadMarket1501(root.string(), Market1501Options().height(4).width(4));
  ASSERT_FALSE(market.ok());
  EXPECT_NE(std::string(market.status().message()).find("0005_c1s1_000001_00.jpg"),
            std::string::npos);
  EXPECT_NE(std::string(market.status().message()).find("cannot decode"), std::string::npos);
}

TEST(LoadMarket1501Test, BadNameAndJunkInQueryAreErrors) {
  const fs::path root = MakeTree("market_badname");
  WriteJpeg(root / "query" / "person7.jpg", 1, 2, 3);
  auto market = LoadMarket1501(root.string(), Market1501Options().height(4).width(4));
  ASSERT_FALSE(market.ok());
  EXPECT_NE(std::string(market.status().message()).find("person7.jpg"), std::string::npos);

  const fs::path root2 = MakeTree("market_junkquery");
  WriteJpeg(root2 / "query" / "-1_c1s1_000001_00.jpg", 1, 2, 3);
  auto market2 = LoadMarket1501(root2.string(), Market1501Options().height(4).width(4));
  ASSERT_FALSE(market2.ok());
  EXPECT_NE(std::string(market2.status().message()).find("junk"), std::string::npos);
}

}  // namespace
}  // namespace repro
