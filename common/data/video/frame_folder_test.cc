#include "common/data/video/frame_folder.h"

#include <filesystem>

#include "common/data/test_files.h"
#include "common/data/video/sprite_phase.h"
#include "common/data/video/test_sprites.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

namespace fs = std::filesystem;

VideoDataset SmallData() {
  SpritePhaseOptions options;
  options.actions = {"fetch", "orbit"};
  options.train_per_action = 2;
  options.val_per_action = 1;
  auto data = GenerateSpritePhase(options, testing::SquareSprites(1.0f), testing::SquareSprites(0.5f));
  EXPECT_TRUE(data.ok()) << data.status();
  return *data;
}

std::string WriteSmall(const std::string& name) {
  const std::string root = testing::TempPath(name);
  fs::remove_all(root);
  const absl::Status status = WriteFrameFolderDataset(SmallData(), root);
  EXPECT_TRUE(status.ok()) << status;
  return root;
}

TEST(FrameFolderTest, ReadsBackWhatWasWritten) {
  const VideoDataset data = SmallData();
  const std::string root = WriteSmall("roundtrip");
  EXPECT_TRUE(fs::exists(root + "/frames/train_fetch_0000/000001.png"));
  const auto read = ReadFrameFolderDataset(root, FrameFolderOptions());
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->actions.size(), 2u);
  EXPECT_EQ(read->actions[1].name, "orbit");
  EXPECT_EQ(read->actions[1].num_phases, 3);
  ASSERT_EQ(read->train.size(), data.train.size());
  ASSERT_EQ(read->val.size(), data.val.size());
  for (size_t i = 0; i < data.train.size(); ++i) {
    EXPECT_EQ(read->train[i].name, data.train[i].name);
    EXPECT_EQ(read->train[i].action, data.train[i].action);
    EXPECT_TRUE(torch::equal(read->train[i].frames, data.train[i].frames)) << data.train[i].name;
    EXPECT_TRUE(torch::equal(read->train[i].phases, data.train[i].phases));
  }
  EXPECT_TRUE(torch::equal(read->val[1].frames, data.val[1].frames));
}

TEST(FrameFolderTest, ColorResizeAndLimit) {
  const std::string root = WriteSmall("color");
  FrameFolderOptions options;
  options.grayscale = false;
  options.height = 32;
  options.width = 48;
  options.max_videos_per_action = 1;
  const auto read = ReadFrameFolderDataset(root, options);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->train.size(), 2u);  // one per action
  EXPECT_EQ(read->train[0].frames.size(1), 3);
  EXPECT_EQ(read->train[0].frames.size(2), 32);
  EXPECT_EQ(read->train[0].frames.size(3), 48);
  // Grey PNGs decode to equal R, G and B.
  EXPECT_TRUE(torch::equal(read->train[0].frames.select(1, 0), read->train[0].frames.select(1, 2)));
}

TEST(FrameFolderTest, MissingFrameNamesVideoAndFile) {
  const std::string root = WriteSmall("missing");
  fs::remove(root + "/frames/train_fetch_0001/000005.png");
  const auto read = ReadFrameFolderDataset(root, FrameFolderOptions());
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("video train_fetch_0001: missing frame"), std::string::npos)
      << read.status();
  EXPECT_NE(read.status().message().find("000005.png"), std::string::npos) << read.status();
}

TEST(FrameFolderTest, UnreadableImage) {
  const std::string root = WriteSmall("corrupt");
  testing::WriteBytes(root + "/frames/val_orbit_0000/000003.png", "not a png at all");
  const auto read = ReadFrameFolderDataset(root, FrameFolderOptions());
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("video val_orbit_0000: cannot decode image"),
            std::string::npos)
      << read.status();
}

TEST(FrameFolderTest, LabelLengthMismatch) {
  const std::string root = WriteSmall("labels");
  testing::WriteBytes(root + "/labels/train_orbit_0000.txt", "0\n0\n1\n");
  const auto read = ReadFrameFolderDataset(root, FrameFolderOptions());
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("train_orbit_0000.txt has 3 labels but"), std::string::npos)
      << read.status();
}

TEST(FrameFolderTest, MissingDatasetAndUnknownAction) {
  auto read = ReadFrameFolderDataset(testing::TempPath("nothing_here"), FrameFolderOptions());
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("actions.txt"), std::string::npos);
  const std::string root = WriteSmall("unknown_action");
  testing::WriteBytes(root + "/val.txt", "val_fetch_0000 juggle\n");
  read = ReadFrameFolderDataset(root, FrameFolderOptions());
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("juggle"), std::string::npos);
}

}  // namespace
}  // namespace repro
