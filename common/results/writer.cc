#include "common/results/writer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/results/atomic_file.h"
#include "google/protobuf/util/json_util.h"

namespace repro {
namespace {

namespace fs = std::filesystem;

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

void AppendSection(const Section& section, std::string* md) {
  absl::StrAppend(md, "\n### ", section.title(), "\n\n| |");
  for (const std::string& column : section.columns()) absl::StrAppend(md, " ", column, " |");
  absl::StrAppend(md, "\n|---|");
  for (int i = 0; i < section.columns_size(); ++i) absl::StrAppend(md, "---|");
  absl::StrAppend(md, "\n");
  const int precision = section.precision() > 0 ? section.precision() : 2;
  for (const Row& row : section.rows()) {
    absl::StrAppend(md, "| ", row.label(), " |");
    for (const Cell& cell : row.cells()) absl::StrAppend(md, " ", FormatCell(cell, precision), " |");
    absl::StrAppend(md, "\n");
  }
  if (!section.note().empty()) absl::StrAppend(md, "\n", section.note(), "\n");
}

int ClaimsHeld(const TableReport& report) {
  return static_cast<int>(std::count_if(report.claims().begin(), report.claims().end(),
                                        [](const Claim& c) { return c.holds(); }));
}

}  // namespace

std::string FormatCell(const Cell& cell, int precision) {
  if (cell.n() == 0) return cell.text().empty() ? "—" : cell.text();
  std::string text = cell.n() > 1 ? absl::StrFormat("%.*f ± %.*f", precision, cell.mean(), precision, cell.std())
                                  : absl::StrFormat("%.*f", precision, cell.mean());
  if (!cell.text().empty()) absl::StrAppend(&text, " ", cell.text());
  return text;
}

std::string RenderMarkdown(const TableReport& report) {
  std::string md = absl::StrCat("# ", report.title(), "\n\n");
  absl::StrAppend(&md, "Mirrors: ", report.mirrors(), "\n\n");
  absl::StrAppend(&md, "| run | |\n|---|---|\n");
  absl::StrAppend(&md, "| scale | ", report.scale(), " |\n");
  absl::StrAppend(&md, "| data | ", report.data(), " |\n");
  absl::StrAppend(&md, "| seeds | ", absl::StrJoin(report.seeds(), ", "), " |\n");
  absl::StrAppend(&md, "| threads | ", report.threads(), " |\n");
  absl::StrAppend(&md, "| wall time | ", absl::StrFormat("%.1f s", report.wall_seconds()), " |\n");
  absl::StrAppend(&md, "| git commit | ", report.git_commit(), " |\n");
  absl::StrAppend(&md, "| config | `", report.config_path(), "` (sha256 ",
                  report.config_sha256().substr(0, 16), "…) |\n");
  absl::StrAppend(&md, "\n## Measured (mean ± std over seeds)\n");
  for (const Section& section : report.sections()) AppendSection(section, &md);
  if (report.reported_size() > 0) {
    absl::StrAppend(&md, "\n## Reported by the paper (paper scale, not this run)\n");
    for (const Section& section : report.reported()) AppendSection(section, &md);
  }
  absl::StrAppend(&md, "\n## Claims (", ClaimsHeld(report), "/", report.claims_size(), " hold)\n\n");
  for (const Claim& claim : report.claims()) {
    absl::StrAppend(&md, "- ", claim.holds() ? "✓" : "✗", " **", claim.id(), "** — ", claim.text(),
                    "  \n  ", claim.evidence(), "\n");
  }
  if (report.plots_size() > 0) {
    absl::StrAppend(&md, "\n## Plots\n\n");
    for (const Plot& plot : report.plots()) {
      absl::StrAppend(&md, "![", plot.title(), "](", plot.file(), ")\n\n");
    }
  }
  if (report.notes_size() > 0) {
    absl::StrAppend(&md, "\n## Notes\n\n");
    for (const std::string& note : report.notes()) absl::StrAppend(&md, "- ", note, "\n");
  }
  return md;
}

std::string RenderCsv(const TableReport& report) {
  std::string csv = "section,row,column,mean,std,n,text\n";
  auto add = [&csv](const Section& section, const std::string& prefix) {
    for (const Row& row : section.rows()) {
      for (int c = 0; c < row.cells_size() && c < section.columns_size(); ++c) {
        const Cell& cell = row.cells(c);
        absl::StrAppend(&csv, CsvField(prefix + section.title()), ",", CsvField(row.label()), ",",
                        CsvField(section.columns(c)), ",");
        if (cell.n() > 0) {
          absl::StrAppend(&csv, absl::StrFormat("%.10g,%.10g,%d", cell.mean(), cell.std(), cell.n()));
        } else {
          absl::StrAppend(&csv, ",,0");
        }
        absl::StrAppend(&csv, ",", CsvField(cell.text()), "\n");
      }
    }
  };
  for (const Section& section : report.sections()) {
    if (!section.timing()) add(section, "");
  }
  for (const Section& section : report.reported()) add(section, "reported (paper scale): ");
  return csv;
}

std::string RenderJson(const TableReport& report) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(report, &json, options);
  return json;
}

absl::Status WriteTable(const TableReport& report, const std::vector<SvgFile>& svgs,
                        const std::string& results_root) {
  const std::string dir = (fs::path(results_root) / report.paper()).string();
  absl::Status status = MakeWritableDir(dir);
  if (!status.ok()) return status;
  const std::string base = (fs::path(dir) / report.table()).string();
  for (const SvgFile& svg : svgs) {
    status = WriteFileAtomically((fs::path(dir) / svg.first).string(), svg.second);
    if (!status.ok()) return status;
  }
  status = WriteFileAtomically(base + ".csv", RenderCsv(report));
  if (!status.ok()) return status;
  status = WriteFileAtomically(base + ".json", RenderJson(report));
  if (!status.ok()) return status;
  status = WriteFileAtomically(base + ".md", RenderMarkdown(report));
  if (!status.ok()) return status;
  return WriteIndex(results_root);
}

absl::Status WriteIndex(const std::string& results_root) {
  std::map<std::string, TableReport> reports;  // sorted by paper/table
  std::error_code ec;
  for (const auto& paper_dir : fs::directory_iterator(results_root, ec)) {
    if (!paper_dir.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(paper_dir.path(), ec)) {
      if (file.path().extension() != ".json") continue;
      auto text = ReadFile(file.path().string());
      if (!text.ok()) return text.status();
      TableReport report;
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = true;
      if (!google::protobuf::util::JsonStringToMessage(*text, &report, options).ok()) {
        return absl::DataLossError(absl::StrCat("cannot parse ", file.path().string(),
                                                "; delete it or rerun its table"));
      }
      reports[absl::StrCat(report.paper(), "/", report.table())] = report;
    }
  }
  std::string md =
      "# Results\n\nRegenerated by `./bazelw run //experiments:reproduce` (default scale: cpu). Each "
      "table has a .md (human), .csv and .json (machines) and, where a curve says more, .svg plots. "
      "Claims test the paper's statements at this scale with the tolerance stated in the config; a "
      "claim that does not hold is shown as ✗.\n\n"
      "| paper | table | mirrors | scale | claims hold | wall time |\n|---|---|---|---|---|---|\n";
  int held = 0, total = 0;
  for (const auto& [key, report] : reports) {
    const int ok = ClaimsHeld(report);
    held += ok;
    total += report.claims_size();
    absl::StrAppend(&md, "| ", report.paper(), " | [", report.table(), "](", report.paper(), "/",
                    report.table(), ".md) | ", report.mirrors(), " | ", report.scale(), " | ", ok,
                    "/", report.claims_size(), " | ", absl::StrFormat("%.0f s", report.wall_seconds()),
                    " |\n");
  }
  absl::StrAppend(&md, "\nIn all: ", held, "/", total, " claims hold.\n");
  return WriteFileAtomically((fs::path(results_root) / "README.md").string(), md);
}

}  // namespace repro
