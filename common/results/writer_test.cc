#include "common/results/writer.h"

#include <cstdlib>
#include <filesystem>

#include "common/results/atomic_file.h"
#include "common/results/section_builder.h"
#include "common/results/svg_plot.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

TableReport SampleReport() {
  TableReport report;
  report.set_paper("demo");
  report.set_table("demo_table");
  report.set_title("Demo");
  report.set_mirrors("Table 1");
  report.set_scale("smoke");
  report.add_seeds(1);
  report.add_seeds(2);
  report.set_wall_seconds(1.5);
  SectionBuilder table("accuracy", {"top-1 (%)"});
  table.Add("model, a", "top-1 (%)", 90.0);
  table.Add("model, a", "top-1 (%)", 92.0);
  *report.add_sections() = table.Build();
  SectionBuilder speed("speed", {"samples/s"});
  speed.set_timing(true);
  speed.Add("model, a", "samples/s", 1234.0);
  *report.add_sections() = speed.Build();
  SectionBuilder reported("paper", {"top-1 (%)"});
  reported.SetText("model, a", "top-1 (%)", "not available");
  *report.add_reported() = reported.Build();
  Claim* ok = report.add_claims();
  ok->set_id("c1");
  ok->set_text("accuracy above 80");
  ok->set_holds(true);
  ok->set_evidence("91.0 >= 80");
  Claim* bad = report.add_claims();
  bad->set_id("c2");
  bad->set_text("accuracy above 95");
  bad->set_holds(false);
  bad->set_evidence("91.0 < 95");
  return report;
}

TEST(WriterTest, RendersAllFormats) {
  const TableReport report = SampleReport();
  const std::string md = RenderMarkdown(report);
  EXPECT_NE(md.find("91.00 ± 1.41"), std::string::npos);
  EXPECT_NE(md.find("✓ **c1**"), std::string::npos);
  EXPECT_NE(md.find("✗ **c2**"), std::string::npos);
  EXPECT_NE(md.find("1/2 hold"), std::string::npos);
  EXPECT_NE(md.find("not available"), std::string::npos);
  const std::string csv = RenderCsv(report);
  EXPECT_NE(csv.find("accuracy,\"model, a\",top-1 (%),91,1.414213562,2,"), std::string::npos) << csv;
  EXPECT_EQ(csv.find("samples/s"), std::string::npos) << "timing sections stay out of the csv";
  EXPECT_NE(md.find("1234.00"), std::string::npos);
  const std::string json = RenderJson(report);
  EXPECT_NE(json.find("\"holds\": false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"wall_seconds\": 1.5"), std::string::npos);
  EXPECT_NE(json.find("\"config_sha256\""), std::string::npos);
}

TEST(WriterTest, WritesTableFilesAndIndex) {
  const std::string root = std::string(std::getenv("TEST_TMPDIR")) + "/results";
  LinePlot plot{"t", "x", "y", {{"s", {0, 1}, {0, 1}, {}}}, false};
  ASSERT_TRUE(WriteTable(SampleReport(), {{"demo_plot.svg", RenderSvg(plot)}}, root).ok());
  for (const char* ext : {".md", ".csv", ".json"}) {
    EXPECT_TRUE(std::filesystem::exists(root + "/demo/demo_table" + ext)) << ext;
  }
  EXPECT_TRUE(std::filesystem::exists(root + "/demo/demo_plot.svg"));
  const std::string index = *ReadFile(root + "/README.md");
  EXPECT_NE(index.find("[demo_table](demo/demo_table.md)"), std::string::npos) << index;
  EXPECT_NE(index.find("| 1/2 |"), std::string::npos) << index;
}

TEST(SvgPlotTest, RendersSeriesAndHeatmaps) {
  LinePlot plot{"mAP vs progress", "progress", "mAP", {{"a", {0, 0.5, 1}, {1, 2, 3}, {0.1, 0.1, 0.1}}}, false};
  const std::string svg = RenderSvg(plot);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("<polygon"), std::string::npos);
  const std::string maps = RenderHeatmapsSvg("attn", {{"q0", 2, 2, {0, 1, 2, 3}}});
  EXPECT_NE(maps.find("rgb(175,0,0)"), std::string::npos);
}

}  // namespace
}  // namespace repro
