#include "common/data/idx.h"

#include <cstdint>
#include <cstring>
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

// An IDX header: magic 00 00 type ndims, then the dimensions.
std::string Header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::string s{0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) s += BigEndian(d);
  return s;
}

// uint8 images [2, 3, 4] with pixel value 12*n + 4*r + c.
std::string ImagesFile() {
  std::string s = Header(0x08, {2, 3, 4});
  for (int i = 0; i < 24; ++i) s.push_back(static_cast<char>(i * 10));
  return s;
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(IdxTest, ReadsRawUint8) {
  const std::string path = TempPath("images-idx3-ubyte");
  WriteBytes(path, ImagesFile());
  auto t = ReadIdxFile(path);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->scalar_type(), torch::kUInt8);
  EXPECT_EQ(t->sizes(), torch::IntArrayRef({2, 3, 4}));
  EXPECT_TRUE(
      torch::equal(*t, (torch::arange(24, torch::kInt32) * 10).to(torch::kUInt8).view({2, 3, 4})));
}

TEST(IdxTest, ReadsGzipLabels) {
  std::string s = Header(0x08, {5});
  for (char c : {3, 1, 4, 1, 5}) s.push_back(c);
  const std::string path = TempPath("labels-idx1-ubyte.gz");
  WriteBytes(path, GzipBytes(s));
  auto t = ReadIdxFile(path);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(torch::equal(*t, torch::tensor({3, 1, 4, 1, 5}, torch::kUInt8)));
}

TEST(IdxTest, DecodesBigEndianMultiByteTypes) {
  std::string i32 = Header(0x0C, {3});
  for (uint32_t v : {1u, 0xFFFFFFFEu, 0x01020304u}) i32 += BigEndian(v);
  auto t = DecodeIdx(i32, "int32");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->scalar_type(), torch::kInt32);
  EXPECT_TRUE(torch::equal(*t, torch::tensor({1, -2, 0x01020304}, torch::kInt32)));

  std::string f32 = Header(0x0D, {1, 2});
  for (float f : {1.5f, -0.25f}) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    f32 += BigEndian(bits);
  }
  t = DecodeIdx(f32, "float32");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(torch::equal(*t, torch::tensor({1.5f, -0.25f}).view({1, 2})));

  std::string i16 = Header(0x0B, {2});
  i16 += std::string{1, 2, static_cast<char>(0xFF), static_cast<char>(0xFF)};
  t = DecodeIdx(i16, "int16");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(torch::equal(*t, torch::tensor({0x0102, -1}, torch::kInt16)));
}

TEST(IdxTest, MissingFile) {
  const std::string path = TempPath("no-such-idx");
  auto t = ReadIdxFile(path);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(t.status()), HasSubstr(path));
}

TEST(IdxTest, BadMagic) {
  std::string s = ImagesFile();
  s[0] = 0x12;
  const std::string path = TempPath("bad-magic");
  WriteBytes(path, s);
  auto t = ReadIdxFile(path);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(Message(t.status()),
              HasSubstr(path + " is not an IDX file: bad magic number 0x12000803"));
  EXPECT_FALSE(DecodeIdx("PK\x03\x04 a zip file", "zip").ok());
  EXPECT_THAT(Message(DecodeIdx("\x00\x00", "tiny").status()),
              HasSubstr("shorter than the 4-byte"));
}

TEST(IdxTest, UnsupportedTypeByte) {
  std::string s = ImagesFile();
  s[2] = 0x0A;
  auto t = DecodeIdx(s, "type 0a");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(Message(t.status()), HasSubstr("bad magic number 0x00000a03"));
}

TEST(IdxTest, ZeroDimensions) {
  auto t = DecodeIdx(Header(0x08, {}), "scalar");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(Message(t.status()), HasSubstr("0 dimensions"));
}

TEST(IdxTest, TruncatedHeader) {
  const std::string s = ImagesFile().substr(0, 9);
  auto t = DecodeIdx(s, "short");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(Message(t.status()),
              HasSubstr("truncated IDX file short: 9 bytes, shorter than its 16-byte header"));
}

TEST(IdxTest, TruncatedData) {
  const std::string s = ImagesFile();
  const std::string path = TempPath("truncated-idx.gz");
  WriteBytes(path, GzipBytes(s.substr(0, s.size() - 1)));  // A valid gzip of a short IDX file.
  auto t = ReadIdxFile(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(t.status()),
              HasSubstr("truncated IDX file " + path +
                        ": dimensions [2, 3, 4] need 24 data bytes, the file has 23"));
}

TEST(IdxTest, HugeDimensionsAreTruncationNotOverflow) {
  // 2^32-1 cubed would wrap around 64 bits; it must still be reported as missing data.
  std::string s = Header(0x0E, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu});
  s += "12345678";
  auto t = DecodeIdx(s, "huge");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(Message(t.status()), HasSubstr("truncated IDX file huge"));
}

TEST(IdxTest, TrailingBytes) {
  auto t = DecodeIdx(ImagesFile() + "xx", "long");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(Message(t.status()), HasSubstr("trailing bytes in IDX file long: dimensions [2, 3, "
                                             "4] need 24 data bytes, the file has 26"));
}

TEST(IdxTest, TruncatedGzipStream) {
  const std::string gz = GzipBytes(ImagesFile());
  const std::string path = TempPath("cut.gz");
  WriteBytes(path, gz.substr(0, gz.size() - 5));
  auto t = ReadIdxFile(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(t.status()), HasSubstr("truncated gzip stream in " + path));
}

TEST(IdxTest, GzipWithTrailingGarbage) {
  const std::string path = TempPath("garbage.gz");
  WriteBytes(path, GzipBytes(ImagesFile()) + "garbage");
  auto t = ReadIdxFile(path);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(Message(t.status()), HasSubstr("trailing garbage in " + path));
}

}  // namespace
}  // namespace repro
