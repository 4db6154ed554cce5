#include "common/results/section_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/port/logging.h"

namespace repro {

std::pair<double, double> MeanAndStd(const std::vector<double>& values) {
  if (values.empty()) {
    return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  }
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / values.size();
  if (values.size() < 2) return {mean, 0.0};
  double sq = 0;
  for (double v : values) sq += (v - mean) * (v - mean);
  return {mean, std::sqrt(sq / (values.size() - 1))};
}

SectionBuilder::SectionBuilder(std::string title, std::vector<std::string> columns, int precision)
    : title_(std::move(title)), columns_(std::move(columns)), precision_(precision) {}

int SectionBuilder::ColumnIndex(const std::string& column) const {
  auto it = std::find(columns_.begin(), columns_.end(), column);
  CHECK(it != columns_.end()) << "unknown column '" << column << "' in section '" << title_ << "'";
  return static_cast<int>(it - columns_.begin());
}

SectionBuilder::CellData& SectionBuilder::At(const std::string& row, const std::string& column) {
  if (std::find(row_order_.begin(), row_order_.end(), row) == row_order_.end()) {
    row_order_.push_back(row);
  }
  return cells_[{row, ColumnIndex(column)}];
}

void SectionBuilder::Add(const std::string& row, const std::string& column, double value) {
  At(row, column).values.push_back(value);
}

void SectionBuilder::SetText(const std::string& row, const std::string& column,
                             const std::string& text) {
  At(row, column).text = text;
}

const std::vector<double>& SectionBuilder::Values(const std::string& row,
                                                  const std::string& column) const {
  static const std::vector<double> kEmpty;
  auto it = cells_.find({row, ColumnIndex(column)});
  return it == cells_.end() ? kEmpty : it->second.values;
}

double SectionBuilder::Mean(const std::string& row, const std::string& column) const {
  return MeanAndStd(Values(row, column)).first;
}

double SectionBuilder::Std(const std::string& row, const std::string& column) const {
  return MeanAndStd(Values(row, column)).second;
}

Section SectionBuilder::Build() const {
  Section section;
  section.set_title(title_);
  section.set_note(note_);
  section.set_precision(precision_);
  section.set_timing(timing_);
  for (const std::string& column : columns_) section.add_columns(column);
  for (const std::string& label : row_order_) {
    Row* row = section.add_rows();
    row->set_label(label);
    for (int c = 0; c < static_cast<int>(columns_.size()); ++c) {
      Cell* cell = row->add_cells();
      auto it = cells_.find({label, c});
      if (it == cells_.end()) continue;
      const CellData& data = it->second;
      cell->set_text(data.text);
      if (!data.values.empty()) {
        const auto [mean, std] = MeanAndStd(data.values);
        cell->set_mean(mean);
        cell->set_std(std);
        cell->set_n(static_cast<int>(data.values.size()));
        for (double v : data.values) cell->add_values(v);
      }
    }
  }
  return section;
}

}  // namespace repro
