// Minimal SVG charts for the results folder: line plots (metric vs progress, accuracy vs sparsity,
// mask flips vs step) and heat maps (attention maps). Self-contained SVG text, no dependencies.
#ifndef COMMON_RESULTS_SVG_PLOT_H_
#define COMMON_RESULTS_SVG_PLOT_H_

#include <string>
#include <vector>

namespace repro {

struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  // Optional ± band (same length as y), drawn as a translucent area.
  std::vector<double> y_err;
};

struct LinePlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  bool log_y = false;
};

// Renders the plot as an SVG document (640x420 px).
std::string RenderSvg(const LinePlot& plot);

struct Heatmap {
  std::string title;
  int rows = 0;
  int cols = 0;
  std::vector<double> values;  // row-major, rows * cols, any range (scaled to min..max)
};

// Renders several heat maps side by side (e.g. one per attention query), with titles.
std::string RenderHeatmapsSvg(const std::string& title, const std::vector<Heatmap>& maps,
                              int cell_px = 8);

}  // namespace repro

#endif  // COMMON_RESULTS_SVG_PLOT_H_
