#include "bt2/data.h"

#include <string>

#include "common/data/test_files.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"

namespace repro::bt2 {
namespace {

// CIFAR-100 binary records: coarse label, fine label, 3072 pixel bytes (R, G, B planes).
std::string CifarRecords(const std::vector<int>& fine_labels) {
  std::string bytes;
  for (size_t i = 0; i < fine_labels.size(); ++i) {
    bytes += static_cast<char>(0);
    bytes += static_cast<char>(fine_labels[i]);
    bytes += std::string(1024, static_cast<char>(0));    // R = 0
    bytes += std::string(1024, static_cast<char>(255));  // G = 255
    bytes += std::string(1024, static_cast<char>(51));   // B = 51 (0.2)
  }
  return bytes;
}

TEST(LoadBt2DataTest, Cifar100BinaryNormalisedWithImageNetStatistics) {
  const std::string dir = testing::TempPath("cifar100");
  testing::WriteBytes(dir + "/train.bin", CifarRecords({3, 99, 0}));
  testing::WriteBytes(dir + "/test.bin", CifarRecords({7, 7}));
  repro::Experiment experiment;
  experiment.mutable_data()->set_name(repro::DataSet::CIFAR100);
  experiment.mutable_data()->set_path(dir);
  const absl::StatusOr<Bt2Data> data = LoadBt2Data(experiment, TableRun{});
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train.images.sizes(), torch::IntArrayRef({3, 3, 32, 32}));
  EXPECT_TRUE(torch::equal(data->train.labels, torch::tensor({3, 99, 0}, torch::kInt64)));
  EXPECT_EQ(data->test.size(), 2);
  EXPECT_EQ(data->num_classes, 100);
  EXPECT_NEAR(data->train.images[0][0][5][5].item<float>(), (0 - 0.485) / 0.229, 1e-4);
  EXPECT_NEAR(data->train.images[0][1][5][5].item<float>(), (1 - 0.456) / 0.224, 1e-4);
  EXPECT_NEAR(data->train.images[0][2][5][5].item<float>(), (0.2 - 0.406) / 0.225, 1e-4);
}

TEST(LoadBt2DataTest, ImageNetFolderCenterCropped) {
  const std::string root = testing::TempPath("imagenet1k");
  for (const std::string split : {"train", "val"}) {
    for (const std::string cls : {"n01", "n02"}) {
      const std::string dir = root + "/" + split + "/" + cls;
      testing::WriteBytes(dir + "/.keep", "");
      // A 300x260 image, blue (BGR 255, 0, 0) on the left, red on the right third.
      cv::Mat image(260, 300, CV_8UC3, cv::Scalar(255, 0, 0));
      image(cv::Rect(200, 0, 100, 260)).setTo(cv::Scalar(0, 0, 255));
      ASSERT_TRUE(cv::imwrite(dir + "/a.png", image));
      ASSERT_TRUE(cv::imwrite(dir + "/b.png", image));
    }
  }
  repro::Experiment experiment;
  experiment.mutable_data()->set_name(repro::DataSet::IMAGENET1K);
  experiment.mutable_data()->set_path(root);
  const absl::StatusOr<Bt2Data> data = LoadBt2Data(experiment, TableRun{});
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train.images.sizes(), torch::IntArrayRef({4, 3, 224, 224}));
  EXPECT_TRUE(torch::equal(data->test.labels, torch::tensor({0, 0, 1, 1}, torch::kInt64)));
  EXPECT_EQ(data->num_classes, 2);
  // The centre pixel is blue: R = 0, B = 1 after normalisation.
  EXPECT_NEAR(data->test.images[0][0][112][112].item<float>(), (0 - 0.485) / 0.229, 1e-3);
  EXPECT_NEAR(data->test.images[0][2][112][112].item<float>(), (1 - 0.406) / 0.225, 1e-3);

  experiment.mutable_data()->set_path(root + "/missing");
  const absl::StatusOr<Bt2Data> missing = LoadBt2Data(experiment, TableRun{});
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find("--data_dir"), std::string::npos);
}

TEST(TrainSubsetTest, ClassesThenSeededFraction) {
  LabeledImages data;
  data.labels = torch::arange(40, torch::kInt64) % 4;
  data.images = torch::arange(40, torch::kFloat32).reshape({40, 1, 1, 1});
  Subset subset;
  subset.add_classes(1);
  subset.add_classes(3);
  subset.set_fraction(0.5);
  const LabeledImages a = TrainSubset(data, subset, 1);
  EXPECT_EQ(a.size(), 10);
  EXPECT_EQ(((a.labels == 1) | (a.labels == 3)).all().item<bool>(), true);
  EXPECT_EQ((a.labels == 1).sum().item<int64_t>(), 5);
  EXPECT_TRUE(torch::equal(TrainSubset(data, subset, 1).images, a.images));
  EXPECT_EQ(TrainSubset(data, Subset(), 1).size(), 40);
}

}  // namespace
}  // namespace repro::bt2
