// Collects per-seed values into a Section (mean ± sample std per cell), keeping rows in the order
// they first appear, and answers the means that claims are judged on.
//
//   SectionBuilder table("Fashion-MNIST test accuracy", {"top-1 (%)"});
//   for (uint64_t seed : seeds) table.Add("ResNet", "top-1 (%)", Accuracy(seed));
//   const double resnet = table.Mean("ResNet", "top-1 (%)");
//   report.add_sections()->CopyFrom(table.Build());
#ifndef COMMON_RESULTS_SECTION_BUILDER_H_
#define COMMON_RESULTS_SECTION_BUILDER_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/results/report.pb.h"

namespace repro {

class SectionBuilder {
 public:
  SectionBuilder(std::string title, std::vector<std::string> columns, int precision = 2);

  // Adds one value (one seed) to the cell (row, column). Dies on an unknown column: that is a
  // programming error in the table code, not bad input.
  void Add(const std::string& row, const std::string& column, double value);
  // Sets a text cell (e.g. "not available", "—").
  void SetText(const std::string& row, const std::string& column, const std::string& text);
  void set_note(std::string note) { note_ = std::move(note); }
  // Marks the section as wall-clock measurements (kept out of the .csv).
  void set_timing(bool timing) { timing_ = timing; }

  // Mean / sample std of the values of a cell; NaN when the cell has none.
  double Mean(const std::string& row, const std::string& column) const;
  double Std(const std::string& row, const std::string& column) const;
  const std::vector<double>& Values(const std::string& row, const std::string& column) const;

  Section Build() const;

 private:
  int ColumnIndex(const std::string& column) const;
  struct CellData {
    std::vector<double> values;
    std::string text;
  };
  CellData& At(const std::string& row, const std::string& column);

  std::string title_;
  std::vector<std::string> columns_;
  int precision_;
  std::string note_;
  bool timing_ = false;
  std::vector<std::string> row_order_;
  std::map<std::pair<std::string, int>, CellData> cells_;
};

// Mean and sample standard deviation (n - 1 in the denominator; 0 for a single value).
std::pair<double, double> MeanAndStd(const std::vector<double>& values);

}  // namespace repro

#endif  // COMMON_RESULTS_SECTION_BUILDER_H_
