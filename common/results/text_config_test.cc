#include "common/results/text_config.h"

#include "common/results/report.pb.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(TextConfigTest, ParsesValidText) {
  TableReport report;
  ASSERT_TRUE(ParseTextConfig("paper: \"x\"\nseeds: 1\nseeds: 2\n", "cfg.pbtxt", &report).ok());
  EXPECT_EQ(report.paper(), "x");
  EXPECT_EQ(report.seeds_size(), 2);
}

TEST(TextConfigTest, SyntaxErrorNamesFileAndLine) {
  TableReport report;
  const absl::Status status = ParseTextConfig("paper: \"x\"\nseeds: [1,\n", "cfg.pbtxt", &report);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cfg.pbtxt:3:"), std::string::npos) << status.message();
}

TEST(TextConfigTest, UnknownFieldIsNamed) {
  TableReport report;
  const absl::Status status = ParseTextConfig("paper: \"x\"\nbogus_field: 3\n", "cfg.pbtxt", &report);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cfg.pbtxt:2:"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("bogus_field"), std::string::npos) << status.message();
}

TEST(TextConfigTest, ConfigErrorFormat) {
  EXPECT_EQ(ConfigError("a.pbtxt", "k", "must be >= 0").message(), "a.pbtxt: field 'k' must be >= 0");
}

}  // namespace
}  // namespace repro
