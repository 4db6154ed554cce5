// Writes a table in the results contract: results/<paper>/<table>.{md,csv,json} plus its .svg plots,
// each atomically, and regenerates the index results/README.md from the .json files present.
#ifndef COMMON_RESULTS_WRITER_H_
#define COMMON_RESULTS_WRITER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/results/report.pb.h"

namespace repro {

// An SVG file that belongs to a table: (file name, SVG text).
using SvgFile = std::pair<std::string, std::string>;

// Renderings (pure functions; deterministic for the same report).
std::string RenderMarkdown(const TableReport& report);
// Long format, one line per cell: section,row,column,mean,std,n,text. It holds no wall time, no
// commit and no timing section, so the same config, seed and thread count give a byte-identical file.
std::string RenderCsv(const TableReport& report);
std::string RenderJson(const TableReport& report);

// Writes <results_root>/<paper>/<table>.{md,csv,json} and the svgs, then the index.
absl::Status WriteTable(const TableReport& report, const std::vector<SvgFile>& svgs,
                        const std::string& results_root);

// Regenerates <results_root>/README.md from every <results_root>/*/*.json.
absl::Status WriteIndex(const std::string& results_root);

// "12.34 ± 0.56" with `precision` digits; the text for text cells; "—" for empty ones.
std::string FormatCell(const Cell& cell, int precision);

}  // namespace repro

#endif  // COMMON_RESULTS_WRITER_H_
