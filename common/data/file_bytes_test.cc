#include "common/data/file_bytes.h"

#include <string>

#include "common/data/test_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

using ::repro::testing::GzipBytes;
using ::repro::testing::TempPath;
using ::repro::testing::WriteBytes;
using ::testing::HasSubstr;

// Bytes that compress but not to nothing, with every byte value present.
std::string Payload(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>((i % 7 == 0) ? (x >> 24) : (i & 0xff));
  }
  return s;
}

TEST(FileBytesTest, ReadsRawFile) {
  const std::string path = TempPath("raw.bin");
  const std::string payload = Payload(1000);
  WriteBytes(path, payload);
  auto bytes = ReadFileBytes(path);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, payload);
}

TEST(FileBytesTest, ReadsEmptyFile) {
  const std::string path = TempPath("empty.bin");
  WriteBytes(path, "");
  auto bytes = ReadFileBytes(path);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, "");
}

TEST(FileBytesTest, DecompressesGzipByMagicNotName) {
  const std::string path = TempPath("compressed_without_suffix");
  const std::string payload = Payload(300000);
  const std::string gz = GzipBytes(payload);
  ASSERT_LT(gz.size(), payload.size());
  WriteBytes(path, gz);
  auto bytes = ReadFileBytes(path);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, payload);
}

TEST(FileBytesTest, DecompressesConcatenatedMembers) {
  // The size hint comes from the last (small) member, so the output buffer has to grow.
  const std::string a = Payload(200000);
  const std::string b = "tail";
  auto bytes = Gunzip(GzipBytes(a) + GzipBytes(b), "two members");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, a + b);
}

TEST(FileBytesTest, MissingFile) {
  const std::string path = TempPath("does_not_exist.gz");
  auto bytes = ReadFileBytes(path);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(bytes.status().message()), HasSubstr(path));
}

TEST(FileBytesTest, DirectoryIsNotAFile) {
  const std::string dir = TempPath("a_dir/x");
  WriteBytes(dir, "x");
  auto bytes = ReadFileBytes(TempPath("a_dir"));
  ASSERT_FALSE(bytes.ok());
  EXPECT_THAT(std::string(bytes.status().message()), HasSubstr("not a regular file"));
}

TEST(FileBytesTest, TruncatedGzip) {
  const std::string gz = GzipBytes(Payload(100000));
  for (size_t keep : {size_t{2}, size_t{10}, gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
    const std::string path = TempPath("truncated.gz");
    WriteBytes(path, gz.substr(0, keep));
    auto bytes = ReadFileBytes(path);
    ASSERT_FALSE(bytes.ok()) << "kept " << keep << " of " << gz.size();
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(bytes.status().message()),
                HasSubstr("truncated gzip stream in " + path));
  }
}

TEST(FileBytesTest, CorruptGzip) {
  std::string gz = GzipBytes(Payload(100000));
  gz[gz.size() - 6] ^= 0x5a;  // Inside the CRC-32 of the trailer.
  auto bytes = Gunzip(gz, "bad crc");
  ASSERT_FALSE(bytes.ok());
  EXPECT_THAT(std::string(bytes.status().message()), HasSubstr("corrupt gzip stream in bad crc"));

  std::string header = GzipBytes(Payload(1000));
  header[2] = 7;  // Compression method other than deflate.
  bytes = Gunzip(header, "bad method");
  ASSERT_FALSE(bytes.ok());
  EXPECT_THAT(std::string(bytes.status().message()),
              HasSubstr("corrupt gzip stream in bad method"));
}

TEST(FileBytesTest, TrailingGarbageAfterGzip) {
  auto bytes = Gunzip(GzipBytes("hello") + "junk!", "garbage");
  ASSERT_FALSE(bytes.ok());
  EXPECT_THAT(std::string(bytes.status().message()),
              HasSubstr("trailing garbage in garbage: 5 bytes after the end"));
}

TEST(FileBytesTest, GunzipRejectsNonGzip) {
  EXPECT_FALSE(Gunzip("plain text", "plain").ok());
  EXPECT_FALSE(IsGzip("\x1f"));
  EXPECT_TRUE(IsGzip("\x1f\x8b"));
}

}  // namespace
}  // namespace repro
