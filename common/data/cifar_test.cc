#include "common/data/cifar.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/data/test_files.h"
#include "common/port/torch.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

using ::repro::testing::GzipBytes;
using ::repro::testing::TempPath;
using ::repro::testing::WriteBytes;
using ::testing::HasSubstr;

// The pixel byte of record `n`, channel `c`, row `y`, column `x`.
uint8_t Pixel(int n, int c, int y, int x) {
  return static_cast<uint8_t>(n * 7 + c * 50 + y * 3 + x);
}

// Records with the given label bytes each, pixels from Pixel() (record numbers start at `first`).
std::string Records(const std::vector<std::vector<int>>& labels, int first = 0) {
  std::string s;
  for (size_t i = 0; i < labels.size(); ++i) {
    for (int l : labels[i]) s.push_back(static_cast<char>(l));
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) s.push_back(static_cast<char>(Pixel(first + i, c, y, x)));
  }
  return s;
}

// Checks every pixel of `images` against Pixel(), record numbers starting at `first`.
void ExpectPixels(const torch::Tensor& images, int first = 0) {
  ASSERT_EQ(images.dim(), 4);
  ASSERT_EQ(images.size(1), 3);
  ASSERT_EQ(images.size(2), 32);
  ASSERT_EQ(images.size(3), 32);
  ASSERT_EQ(images.scalar_type(), torch::kFloat32);
  const auto a = images.accessor<float, 4>();
  int wrong = 0;
  for (int n = 0; n < images.size(0); ++n)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) wrong += a[n][c][y][x] != Pixel(first + n, c, y, x) / 255.0f;
  EXPECT_EQ(wrong, 0);
}

std::vector<int64_t> Labels(const LabeledImages& data) {
  const torch::Tensor l = data.labels.contiguous();
  return std::vector<int64_t>(l.data_ptr<int64_t>(), l.data_ptr<int64_t>() + l.numel());
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(CifarTest, ReadsCifar10FileExactly) {
  const std::string path = TempPath("c10/data_batch.bin");
  WriteBytes(path, Records({{3}, {0}, {9}}));
  auto data = ReadCifar10File(path);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(Labels(*data), (std::vector<int64_t>{3, 0, 9}));
  EXPECT_EQ(data->labels.scalar_type(), torch::kInt64);
  ExpectPixels(data->images);
  EXPECT_STREQ(kCifar10ClassNames[3], "cat");
}

TEST(CifarTest, ReadsCifar100FineAndCoarse) {
  const std::string path = TempPath("c100/train.bin.gz");
  WriteBytes(path, GzipBytes(Records({{19, 99}, {4, 30}})));
  auto fine = ReadCifar100File(path);
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ(Labels(*fine), (std::vector<int64_t>{99, 30}));
  ExpectPixels(fine->images);
  auto coarse = ReadCifar100File(path, CifarLabels::kCoarse);
  ASSERT_TRUE(coarse.ok()) << coarse.status();
  EXPECT_EQ(Labels(*coarse), (std::vector<int64_t>{19, 4}));
  EXPECT_TRUE(torch::equal(coarse->images, fine->images));
}

TEST(CifarTest, SizeNotAMultipleOfTheRecord) {
  const std::string bytes = Records({{1}, {2}});
  auto data = DecodeCifar10(std::string_view(bytes).substr(0, bytes.size() - 1), "short");
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(
      Message(data.status()),
      HasSubstr("short is not a CIFAR-10 binary file: 6145 bytes is not a positive multiple "
                "of the 3073-byte record"));
  // A CIFAR-10 file read as CIFAR-100 does not fit its 3074-byte records.
  EXPECT_FALSE(DecodeCifar100(bytes, "c10 as c100").ok());
  EXPECT_FALSE(DecodeCifar10("", "empty").ok());
}

TEST(CifarTest, LabelOutOfRange) {
  auto c10 = DecodeCifar10(Records({{1}, {2}, {10}}), "c10");
  ASSERT_FALSE(c10.ok());
  EXPECT_THAT(Message(c10.status()), HasSubstr("c10: record 2 has CIFAR-10 label 10, outside 0-9"));

  auto coarse = DecodeCifar100(Records({{20, 5}}), "c100", CifarLabels::kCoarse);
  ASSERT_FALSE(coarse.ok());
  EXPECT_THAT(Message(coarse.status()),
              HasSubstr("record 0 has CIFAR-100 coarse label 20, outside 0-19"));
  auto fine = DecodeCifar100(Records({{2, 5}, {3, 100}}), "c100");
  ASSERT_FALSE(fine.ok());
  EXPECT_THAT(Message(fine.status()),
              HasSubstr("record 1 has CIFAR-100 fine label 100, outside 0-99"));
}

TEST(CifarTest, LoadsCifar10FolderInBatchOrder) {
  // The archive's folder inside the given one; two records per batch, numbered across batches.
  const std::string dir = TempPath("c10_root/cifar-10-batches-bin");
  for (int b = 1; b <= 5; ++b) {
    WriteBytes(dir + "/data_batch_" + std::to_string(b) + ".bin",
               Records({{b}, {b - 1}}, 2 * (b - 1)));
  }
  WriteBytes(dir + "/test_batch.bin", Records({{7}}, 100));
  const std::string parent = TempPath("c10_root");
  auto data = LoadCifar10(parent);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(Labels(data->train), (std::vector<int64_t>{1, 0, 2, 1, 3, 2, 4, 3, 5, 4}));
  ExpectPixels(data->train.images);
  EXPECT_EQ(Labels(data->test), (std::vector<int64_t>{7}));
  ExpectPixels(data->test.images, 100);
  // The archive's folder itself works too.
  EXPECT_TRUE(LoadCifar10(dir).ok());

  std::filesystem::remove(dir + "/data_batch_4.bin");
  auto missing = LoadCifar10(dir);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(missing.status()),
              HasSubstr("CIFAR-10: " + dir + "/data_batch_4.bin not found"));
}

TEST(CifarTest, LoadCifar100AndMissingFolder) {
  const std::string dir = TempPath("c100_root");
  WriteBytes(dir + "/train.bin", Records({{1, 11}, {2, 22}}));
  WriteBytes(dir + "/test.bin", Records({{3, 33}}));
  auto data = LoadCifar100(dir, CifarLabels::kCoarse);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(Labels(data->train), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(Labels(data->test), (std::vector<int64_t>{3}));

  auto none = LoadCifar100(TempPath("nowhere"));
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(Message(none.status()),
              HasSubstr("CIFAR-100 not found at " + TempPath("nowhere") + "/train.bin; download"));
}

}  // namespace
}  // namespace repro
