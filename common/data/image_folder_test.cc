#include "common/data/image_folder.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/data/test_files.h"
#include "common/port/torch.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"

namespace repro {
namespace {

using ::repro::testing::TempPath;
using ::repro::testing::WriteBytes;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The test images: R, G, B of pixel (y, x) of image `id`.
int Red(int id, int y, int x) { return (id * 40 + y * 9 + x * 5) % 256; }
int Green(int id, int y, int x) { return (id * 17 + 3 * y * x) % 256; }
int Blue(int id, int y, int x) { return (255 - id * 30 - x * 7 + 512) % 256; }

cv::Mat MakeImage(int id, int height, int width) {
  cv::Mat bgr(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(Blue(id, y, x), Green(id, y, x), Red(id, y, x));
    }
  }
  return bgr;
}

// A smooth image, so that JPEG's loss stays small.
cv::Mat MakeSmoothImage(int height, int width) {
  cv::Mat bgr(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x)
      bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(40 + 4 * x, 200 - 3 * y, 128);
  }
  return bgr;
}

void Write(const std::string& path, const cv::Mat& image) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  ASSERT_TRUE(cv::imwrite(path, image)) << path;
}

// The expected [3, H, W] RGB float tensor of MakeImage(id, ...).
torch::Tensor Expected(int id, int height, int width) {
  torch::Tensor t = torch::empty({3, height, width});
  auto a = t.accessor<float, 3>();
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      a[0][y][x] = Red(id, y, x) / 255.0f;
      a[1][y][x] = Green(id, y, x) / 255.0f;
      a[2][y][x] = Blue(id, y, x) / 255.0f;
    }
  }
  return t;
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// root/{cat,dog,zebra}: PNGs 0-4 (cat 2, dog 1, zebra 2 of which one in a sub-folder), one JPEG in
// dog, plus files that are not images and a hidden folder, all 6x8.
std::string MakeTree(const std::string& name) {
  const std::string root = TempPath(name);
  Write(root + "/zebra/b.png", MakeImage(3, 6, 8));
  Write(root + "/zebra/sub/a.png", MakeImage(4, 6, 8));
  Write(root + "/cat/2.png", MakeImage(1, 6, 8));
  Write(root + "/cat/1.PNG", MakeImage(0, 6, 8));
  Write(root + "/dog/x.png", MakeImage(2, 6, 8));
  Write(root + "/dog/y.jpg", MakeSmoothImage(6, 8));
  WriteBytes(root + "/dog/notes.txt", "not an image");
  WriteBytes(root + "/README", "top-level files are ignored");
  Write(root + "/.hidden/z.png", MakeImage(5, 6, 8));
  return root;
}

TEST(ImageFolderTest, ScanListsClassesSortedAndImagesOnly) {
  const std::string root = MakeTree("scan");
  auto index = ScanImageFolder(root);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_THAT(index->class_names, ElementsAre("cat", "dog", "zebra"));
  EXPECT_THAT(index->paths,
              ElementsAre(root + "/cat/1.PNG", root + "/cat/2.png", root + "/dog/x.png",
                          root + "/dog/y.jpg", root + "/zebra/b.png", root + "/zebra/sub/a.png"));
  EXPECT_THAT(index->labels, ElementsAre(0, 0, 1, 1, 2, 2));

  const ImageFolderIndex one = LimitPerClass(*index, 1);
  EXPECT_THAT(one.paths,
              ElementsAre(root + "/cat/1.PNG", root + "/dog/x.png", root + "/zebra/b.png"));
  EXPECT_THAT(one.labels, ElementsAre(0, 1, 2));
  EXPECT_EQ(LimitPerClass(*index, -1).size(), 6);
}

TEST(ImageFolderTest, LoadsPngExactlyAndJpegClosely) {
  const std::string root = MakeTree("load");
  auto data = LoadImageFolder(root, ImageDecodeOptions{});
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->images.sizes(), torch::IntArrayRef({6, 3, 6, 8}));
  EXPECT_TRUE(data->images.is_contiguous());
  EXPECT_TRUE(torch::equal(data->labels, torch::tensor({0, 0, 1, 1, 2, 2}, torch::kInt64)));
  // PNG is lossless: exact, in RGB order. Order: cat/1 (id 0), cat/2 (1), dog/x (2), zebra/b (3),
  // zebra/sub/a (4).
  const int ids[] = {0, 1, 2, -1, 3, 4};
  for (int i = 0; i < 6; ++i) {
    if (ids[i] < 0) continue;
    EXPECT_TRUE(torch::equal(data->images[i], Expected(ids[i], 6, 8))) << "image " << i;
  }
  // The JPEG (MakeSmoothImage): R constant, G falls along y, B rises along x.
  const torch::Tensor jpeg = data->images[3] * 255.0f;
  for (int y = 0; y < 6; ++y) {
    for (int x = 0; x < 8; ++x) {
      EXPECT_NEAR(jpeg[0][y][x].item<float>(), 128, 6.0);
      EXPECT_NEAR(jpeg[1][y][x].item<float>(), 200 - 3 * y, 6.0);
      EXPECT_NEAR(jpeg[2][y][x].item<float>(), 40 + 4 * x, 6.0);
    }
  }

  auto two = LoadImageFolder(root, ImageDecodeOptions{}, 1);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->size(), 3);
  EXPECT_TRUE(torch::equal(two->images[2], Expected(3, 6, 8)));
}

TEST(ImageFolderTest, DecodeGreyAndResize) {
  const std::string path = TempPath("single/blocks.png");
  // 8x8 grey-level blocks of 2x2: block (by, bx) has value 15 * (by * 4 + bx).
  cv::Mat blocks(8, 8, CV_8UC3);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) {
      const uchar v = static_cast<uchar>(15 * ((y / 2) * 4 + x / 2));
      blocks.at<cv::Vec3b>(y, x) = cv::Vec3b(v, v, v);
    }
  Write(path, blocks);

  ImageDecodeOptions grey;
  grey.channels = 1;
  auto full = DecodeImage(path, grey);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->sizes(), torch::IntArrayRef({1, 8, 8}));

  // Shrinking by 2 with INTER_AREA averages each block: exactly the block values.
  ImageDecodeOptions half;
  half.height = 4;
  half.width = 4;
  auto small = DecodeImage(path, half);
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->sizes(), torch::IntArrayRef({3, 4, 4}));
  const torch::Tensor want =
      (torch::arange(16, torch::kFloat32) * 15.0f / 255.0f).view({1, 4, 4}).expand({3, 4, 4});
  EXPECT_TRUE(torch::allclose(*small, want, 0.0, 1e-6)) << *small * 255.0f;

  // Centre crop keeps the aspect ratio: 8x8 covers 4x2 at scale 1/2 (4x4), then the middle two
  // columns are kept.
  ImageDecodeOptions crop;
  crop.height = 4;
  crop.width = 2;
  crop.center_crop = true;
  auto cropped = DecodeImage(path, crop);
  ASSERT_TRUE(cropped.ok()) << cropped.status();
  EXPECT_TRUE(torch::allclose(*cropped, want.slice(2, 1, 3), 0.0, 1e-6));

  // Enlarging a constant image keeps it constant.
  const std::string flat = TempPath("single/flat.png");
  Write(flat, cv::Mat(3, 5, CV_8UC3, cv::Scalar(51, 102, 153)));
  ImageDecodeOptions big;
  big.height = 7;
  big.width = 9;
  auto large = DecodeImage(flat, big);
  ASSERT_TRUE(large.ok()) << large.status();
  EXPECT_EQ(large->sizes(), torch::IntArrayRef({3, 7, 9}));
  EXPECT_TRUE(torch::allclose(large->select(0, 0), torch::full({7, 9}, 153 / 255.0f)));
  EXPECT_TRUE(torch::allclose(large->select(0, 2), torch::full({7, 9}, 51 / 255.0f)));
}

TEST(ImageFolderTest, GreyIsLumaOfColour) {
  const std::string path = TempPath("single/colour.png");
  Write(path, MakeImage(7, 5, 4));
  ImageDecodeOptions grey;
  grey.channels = 1;
  auto g = DecodeImage(path, grey);
  ASSERT_TRUE(g.ok()) << g.status();
  const torch::Tensor rgb = Expected(7, 5, 4);
  const torch::Tensor luma = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
  EXPECT_TRUE(torch::allclose((*g)[0], luma, 0.0, 1.0 / 255 + 1e-6));
}

TEST(ImageFolderTest, CorruptImageIsNamed) {
  const std::string root = MakeTree("corrupt");
  const std::string bad = root + "/dog/broken.png";
  WriteBytes(bad, "\x89PNG\r\n\x1a\n this is not really a PNG");
  auto data = LoadImageFolder(root, ImageDecodeOptions{});
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(Message(data.status()), HasSubstr("cannot decode image " + bad));

  // Half a real PNG.
  const std::string png = TempPath("single/whole.png");
  Write(png, MakeImage(1, 32, 32));
  std::ifstream in(png, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = TempPath("single/cut.png");
  WriteBytes(cut, bytes.substr(0, bytes.size() / 2));
  auto half = DecodeImage(cut, ImageDecodeOptions{});
  ASSERT_FALSE(half.ok());
  EXPECT_THAT(Message(half.status()), HasSubstr("cannot decode image " + cut));

  const std::string empty = TempPath("single/empty.jpg");
  WriteBytes(empty, "");
  EXPECT_THAT(Message(DecodeImage(empty, ImageDecodeOptions{}).status()),
              HasSubstr("cannot decode image " + empty + " (0 bytes)"));
  EXPECT_EQ(DecodeImage(TempPath("single/none.png"), ImageDecodeOptions{}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ImageFolderTest, DifferentSizesNeedAResize) {
  const std::string root = MakeTree("sizes");
  Write(root + "/zebra/c.png", MakeImage(9, 7, 8));
  auto data = LoadImageFolder(root, ImageDecodeOptions{});
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(Message(data.status()), HasSubstr("image " + root + "/zebra/c.png is 7x8 but"));

  ImageDecodeOptions options;
  options.height = 5;
  options.width = 5;
  auto resized = LoadImageFolder(root, options);
  ASSERT_TRUE(resized.ok()) << resized.status();
  EXPECT_EQ(resized->images.sizes(), torch::IntArrayRef({7, 3, 5, 5}));
}

TEST(ImageFolderTest, BadFoldersAndOptions) {
  EXPECT_EQ(ScanImageFolder(TempPath("no_such_root")).status().code(), absl::StatusCode::kNotFound);

  const std::string flat = TempPath("flat/x.png");
  Write(flat, MakeImage(0, 2, 2));
  auto no_classes = ScanImageFolder(TempPath("flat"));
  ASSERT_FALSE(no_classes.ok());
  EXPECT_THAT(Message(no_classes.status()), HasSubstr("has no class folders"));

  const std::string root = MakeTree("empty_class");
  std::filesystem::create_directories(root + "/empty");
  auto empty_class = ScanImageFolder(root);
  ASSERT_FALSE(empty_class.ok());
  EXPECT_THAT(Message(empty_class.status()),
              HasSubstr("class folder " + root + "/empty has no image files"));

  ImageDecodeOptions two_channels;
  two_channels.channels = 2;
  EXPECT_FALSE(DecodeImage(flat, two_channels).ok());
  ImageDecodeOptions only_height;
  only_height.height = 4;
  EXPECT_FALSE(DecodeImage(flat, only_height).ok());
}

}  // namespace
}  // namespace repro
