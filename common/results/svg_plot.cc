#include "common/results/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace repro {
namespace {

constexpr double kWidth = 640, kHeight = 420;
constexpr double kLeft = 70, kRight = 170, kTop = 40, kBottom = 55;
constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string Escape(const std::string& text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}});
}

// "Nice" tick positions covering [lo, hi].
std::vector<double> Ticks(double lo, double hi, int target = 6) {
  const double span = hi - lo;
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(t);
  return ticks;
}

}  // namespace

std::string RenderSvg(const LinePlot& plot) {
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
  double y_lo = x_lo, y_hi = -x_lo;
  auto ty = [&](double y) { return plot.log_y ? std::log10(std::max(y, 1e-12)) : y; };
  for (const Series& s : plot.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      const double err = i < s.y_err.size() ? s.y_err[i] : 0.0;
      if (!std::isfinite(s.y[i])) continue;
      x_lo = std::min(x_lo, s.x[i]);
      x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, ty(s.y[i] - err));
      y_hi = std::max(y_hi, ty(s.y[i] + err));
    }
  }
  if (!std::isfinite(x_lo)) x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
  if (x_hi == x_lo) x_hi = x_lo + 1;
  if (y_hi == y_lo) y_hi = y_lo + 1;
  const double pad = 0.05 * (y_hi - y_lo);
  y_lo -= pad;
  y_hi += pad;
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_lo) / (x_hi - x_lo) * pw; };
  auto py = [&](double y) { return kTop + (1 - (ty(y) - y_lo) / (y_hi - y_lo)) * ph; };
  auto py_raw = [&](double t) { return kTop + (1 - (t - y_lo) / (y_hi - y_lo)) * ph; };

  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      kWidth, kHeight, kWidth, kHeight);
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"22\" font-size=\"14\" text-anchor=\"middle\">%s</text>\n",
                        kLeft + pw / 2, Escape(plot.title));
  absl::StrAppendFormat(&svg,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                        "stroke=\"#333\"/>\n",
                        kLeft, kTop, pw, ph);
  for (double t : Ticks(x_lo, x_hi)) {
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                          px(t), kTop, px(t), kTop + ph, px(t), kTop + ph + 16, t);
  }
  for (double t : Ticks(y_lo, y_hi)) {
    const std::string label = plot.log_y ? absl::StrFormat("%g", std::pow(10.0, t)) : absl::StrFormat("%g", t);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                          kLeft, py_raw(t), kLeft + pw, py_raw(t), kLeft - 6, py_raw(t) + 4, label);
  }
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                        kLeft + pw / 2, kHeight - 12, Escape(plot.x_label));
  absl::StrAppendFormat(&svg,
                        "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90 16 %.1f)\">%s</text>\n",
                        kTop + ph / 2, kTop + ph / 2, Escape(plot.y_label));
  for (size_t s = 0; s < plot.series.size(); ++s) {
    const Series& series = plot.series[s];
    const char* color = kPalette[s % 10];
    const size_t n = std::min(series.x.size(), series.y.size());
    if (series.y_err.size() >= n && n > 0) {
      std::string band;
      for (size_t i = 0; i < n; ++i)
        absl::StrAppendFormat(&band, "%.1f,%.1f ", px(series.x[i]), py(series.y[i] + series.y_err[i]));
      for (size_t i = n; i-- > 0;)
        absl::StrAppendFormat(&band, "%.1f,%.1f ", px(series.x[i]), py(series.y[i] - series.y_err[i]));
      absl::StrAppendFormat(&svg, "<polygon points=\"%s\" fill=\"%s\" fill-opacity=\"0.15\"/>\n", band, color);
    }
    std::string points;
    for (size_t i = 0; i < n; ++i) {
      if (std::isfinite(series.y[i]))
        absl::StrAppendFormat(&points, "%.1f,%.1f ", px(series.x[i]), py(series.y[i]));
    }
    absl::StrAppendFormat(&svg,
                          "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                          points, color);
    const double ly = kTop + 10 + 18 * s;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-width=\"3\"/><text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                          kLeft + pw + 10, ly, kLeft + pw + 30, ly, color, kLeft + pw + 35, ly + 4,
                          Escape(series.name));
  }
  svg += "</svg>\n";
  return svg;
}

std::string RenderHeatmapsSvg(const std::string& title, const std::vector<Heatmap>& maps,
                              int cell_px) {
  const int gap = 16, top = 40, label = 18;
  int width = gap, height = 0;
  for (const Heatmap& m : maps) {
    width += m.cols * cell_px + gap;
    height = std::max(height, m.rows * cell_px);
  }
  height += top + label + gap;
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
      "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>\n",
      width, height, gap, Escape(title));
  int x0 = gap;
  for (const Heatmap& m : maps) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double v : m.values) lo = std::min(lo, v), hi = std::max(hi, v);
    const double span = hi > lo ? hi - lo : 1.0;
    absl::StrAppendFormat(&svg, "<text x=\"%d\" y=\"%d\">%s</text>\n", x0, top + label - 6,
                          Escape(m.title));
    for (int r = 0; r < m.rows; ++r) {
      for (int c = 0; c < m.cols; ++c) {
        const double t = (m.values[r * m.cols + c] - lo) / span;
        // White (low) to dark red (high).
        const int g = static_cast<int>(255 * (1 - t));
        absl::StrAppendFormat(&svg,
                              "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\"/>\n",
                              x0 + c * cell_px, top + label + r * cell_px, cell_px, cell_px,
                              255 - static_cast<int>(80 * t), g, g);
      }
    }
    x0 += m.cols * cell_px + gap;
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace repro
