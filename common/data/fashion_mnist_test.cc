#include "common/data/fashion_mnist.h"

#include <chrono>
#include <cstdint>
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

std::string BigEndian(uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string ImagesIdx(uint32_t n) {
  std::string s = std::string{0, 0, 8, 3} + BigEndian(n) + BigEndian(28) + BigEndian(28);
  for (uint32_t i = 0; i < n * 28 * 28; ++i) s.push_back(static_cast<char>(i % 256));
  return s;
}

std::string LabelsIdx(const std::vector<int>& labels) {
  std::string s = std::string{0, 0, 8, 1} + BigEndian(labels.size());
  for (int l : labels) s.push_back(static_cast<char>(l));
  return s;
}

// A fake data set folder with raw (not gzip) files; `skip` names a file to leave out.
std::string FakeDir(const std::string& name, const std::string& skip, uint32_t n_train,
                    const std::vector<int>& train_labels) {
  const std::string root = TempPath(name);
  const std::vector<std::pair<std::string, std::string>> files = {
      {"train-images-idx3-ubyte", ImagesIdx(n_train)},
      {"train-labels-idx1-ubyte", LabelsIdx(train_labels)},
      {"t10k-images-idx3-ubyte.gz", GzipBytes(ImagesIdx(2))},
      {"t10k-labels-idx1-ubyte.gz", GzipBytes(LabelsIdx({9, 0}))}};
  for (const auto& [file, bytes] : files) {
    if (file != skip) WriteBytes(root + "/" + file, bytes);
  }
  return root;
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// Reference values computed independently with Python's gzip module on the Debian files.
TEST(FashionMnistTest, LoadsTheInstalledDataSetFast) {
  const auto start = std::chrono::steady_clock::now();
  auto data = LoadFashionMnist();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(data.ok()) << data.status();
  std::printf("LoadFashionMnist: %.3f s\n", seconds);
  EXPECT_LT(seconds, 5.0);  // About 0.3 s on an idle 2-core machine; loose for a busy one.

  EXPECT_EQ(data->train.images.sizes(), torch::IntArrayRef({60000, 1, 28, 28}));
  EXPECT_EQ(data->test.images.sizes(), torch::IntArrayRef({10000, 1, 28, 28}));
  EXPECT_EQ(data->train.images.scalar_type(), torch::kFloat32);
  EXPECT_EQ(data->train.labels.scalar_type(), torch::kInt64);
  EXPECT_TRUE(data->train.images.is_contiguous());
  EXPECT_GE(data->train.images.min().item<float>(), 0.0f);
  EXPECT_LE(data->train.images.max().item<float>(), 1.0f);

  EXPECT_TRUE(torch::equal(data->train.labels.slice(0, 0, 10),
                           torch::tensor({9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(data->test.labels.slice(0, 0, 10),
                           torch::tensor({9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, torch::kInt64)));
  EXPECT_TRUE(
      torch::equal(torch::bincount(data->train.labels), torch::full({10}, 6000, torch::kInt64)));
  EXPECT_TRUE(
      torch::equal(torch::bincount(data->test.labels), torch::full({10}, 1000, torch::kInt64)));

  // Pixel sums (in bytes): image 0 of each split and each whole split; one centre pixel.
  auto byte_sum = [](const torch::Tensor& images) {
    return images.mul(255.0f).round_().sum(torch::kFloat64).item<double>();
  };
  EXPECT_EQ(byte_sum(data->train.images[0]), 76247);
  EXPECT_EQ(byte_sum(data->test.images[0]), 33456);
  EXPECT_EQ(byte_sum(data->train.images), 3431114169.0);
  EXPECT_EQ(byte_sum(data->test.images), 573469082.0);
  EXPECT_FLOAT_EQ(data->train.images[0][0][14][14].item<float>(), 217.0f / 255.0f);
  EXPECT_FLOAT_EQ(data->test.images[0][0][14][14].item<float>(), 110.0f / 255.0f);
  EXPECT_STREQ(kFashionMnistClassNames[9], "Ankle boot");
}

TEST(FashionMnistTest, ReadsRawAndGzipFilesFromAnotherDir) {
  const std::string dir = FakeDir("fake_ok", "", 3, {1, 2, 3});
  auto data = LoadFashionMnist(dir);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train.size(), 3);
  EXPECT_EQ(data->test.size(), 2);
  EXPECT_TRUE(torch::equal(data->train.labels, torch::tensor({1, 2, 3}, torch::kInt64)));
  // Pixel k of the file is k % 256.
  EXPECT_FLOAT_EQ(data->train.images[1][0][0][0].item<float>(), (784 % 256) / 255.0f);
  EXPECT_FLOAT_EQ(data->train.images[0][0][9][3].item<float>(), ((9 * 28 + 3) % 256) / 255.0f);
}

TEST(FashionMnistTest, MissingFileNamesPathAndPackage) {
  const std::string dir = FakeDir("fake_missing", "t10k-labels-idx1-ubyte.gz", 3, {1, 2, 3});
  auto data = LoadFashionMnist(dir);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(data.status()),
            "Fashion-MNIST not found at " + dir +
                "/t10k-labels-idx1-ubyte.gz; install Debian package dataset-fashion-mnist or pass "
                "--fashion_mnist_dir");

  auto none = LoadFashionMnist(TempPath("no_such_dir"));
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(Message(none.status()), HasSubstr("Fashion-MNIST not found at "));
}

TEST(FashionMnistTest, CountMismatchAndBadLabels) {
  auto mismatch = LoadFashionMnist(FakeDir("fake_mismatch", "", 3, {1, 2}));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(Message(mismatch.status()), HasSubstr("has 3 images but"));
  EXPECT_THAT(Message(mismatch.status()), HasSubstr("has 2 labels"));

  auto bad_label = LoadFashionMnist(FakeDir("fake_label", "", 2, {1, 10}));
  ASSERT_FALSE(bad_label.ok());
  EXPECT_THAT(Message(bad_label.status()), HasSubstr("has label 10, outside 0-9"));
}

TEST(FashionMnistTest, CorruptFileIsReportedWithItsPath) {
  const std::string dir = FakeDir("fake_corrupt", "", 2, {1, 2});
  WriteBytes(dir + "/train-images-idx3-ubyte", ImagesIdx(2).substr(0, 100));
  auto data = LoadFashionMnist(dir);
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(Message(data.status()),
              HasSubstr("Fashion-MNIST: truncated IDX file " + dir + "/train-images-idx3-ubyte"));

  WriteBytes(dir + "/train-images-idx3-ubyte",
             std::string{0, 0, 8, 2} + BigEndian(2) + BigEndian(784) + std::string(1568, '\0'));
  data = LoadFashionMnist(dir);
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(Message(data.status()), HasSubstr("expected uint8 [N, 28, 28]"));
}

}  // namespace
}  // namespace repro
