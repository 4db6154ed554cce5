#include "common/results/atomic_file.h"

#include <cstdlib>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace repro {
namespace {

std::string TmpDir() { return std::getenv("TEST_TMPDIR"); }

TEST(AtomicFileTest, WritesCreatesFoldersAndReplaces) {
  const std::string path = TmpDir() + "/a/b/c.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two").ok());
  EXPECT_EQ(*ReadFile(path), "two");
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(TmpDir() + "/a/b")) ++files, (void)e;
  EXPECT_EQ(files, 1);
}

TEST(AtomicFileTest, UnwritableFolderIsAClearError) {
  const std::string dir = TmpDir() + "/readonly";
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  const absl::Status status = WriteFileAtomically(dir + "/x.md", "text");
  // Root ignores permission bits; the check only applies to ordinary users.
  if (geteuid() != 0) {
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message().find(dir), std::string::npos);
  }
  const absl::Status file_as_dir = WriteFileAtomically(TmpDir() + "/a/b/c.txt/x.md", "text");
  EXPECT_FALSE(file_as_dir.ok());
  EXPECT_NE(file_as_dir.message().find("--output_dir"), std::string::npos);
}

TEST(AtomicFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadFile(TmpDir() + "/nope").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace repro
