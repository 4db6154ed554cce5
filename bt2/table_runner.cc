#include "bt2/table_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <utility>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bt2/claims.h"
#include "bt2/data.h"
#include "bt2/evaluate.h"
#include "bt2/model_zoo.h"
#include "bt2/table_config.h"
#include "common/port/status_macros.h"
#include "common/port/threads.h"
#include "common/results/section_builder.h"
#include "common/results/svg_plot.h"
#include "experiments/experiment.h"

namespace repro::bt2 {
namespace {

constexpr char kDims[] = "dims compared";

Section ReportedSection(const Reported& reported) {
  Section section;
  section.set_title(reported.title());
  section.set_note(reported.note());
  section.set_precision(1);
  for (const std::string& column : reported.columns()) section.add_columns(column);
  for (const Reported::Row& row : reported.rows()) {
    Row* out = section.add_rows();
    out->set_label(row.label());
    for (double value : row.values()) {
      Cell* cell = out->add_cells();
      cell->set_mean(value);
      cell->set_n(1);
      cell->add_values(value);
    }
  }
  return section;
}

struct SeedOutcome {
  absl::Status status;
  std::vector<CaseResult> results;  // aligned with the rows
  std::vector<std::string> dims;    // "m (dq vs dg)" per row
  std::vector<std::string> log;     // training log, then notes
  double train_seconds = 0;
  double eval_seconds = 0;
};

SeedOutcome RunSeed(const TableConfig& config, const std::string& config_path,
                    const std::string& cache_dir, const std::string& table, const Bt2Data& data,
                    const std::vector<RowSpec>& rows, const torch::Tensor& queries, uint64_t seed) {
  SeedOutcome outcome;
  const auto fail = [&outcome](absl::Status status) {
    outcome.status = std::move(status);
    return std::move(outcome);
  };
  ModelZoo zoo(config, config_path, data, cache_dir, absl::StrCat(table, "/"));
  for (const std::string& name : ModelsInTrainingOrder(config)) {
    if (absl::Status s = zoo.Get(name, seed).status(); !s.ok()) return fail(s);
  }
  const auto start = std::chrono::steady_clock::now();
  for (const RowSpec& row : rows) {
    absl::StatusOr<torch::Tensor> q = zoo.TestEmbeddings(row.query, seed);
    if (!q.ok()) return fail(q.status());
    absl::StatusOr<torch::Tensor> g = zoo.TestEmbeddings(row.gallery, seed);
    if (!g.ok()) return fail(g.status());
    absl::StatusOr<CaseResult> result =
        MeasureCase(row.query, *q, row.gallery, *g, data.test.labels, queries);
    if (!result.ok()) return fail(result.status());
    outcome.results.push_back(*result);
    outcome.dims.push_back(absl::StrCat(result->dim, " (", q->size(1), " vs ", g->size(1), ")"));
  }
  outcome.eval_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  outcome.train_seconds = zoo.training_seconds();
  outcome.log = zoo.log();
  // ‖φ_new‖ = √(1 + C²) (C when k = 0) by construction, unless f or u is undefined: an all-zero
  // ReLU output normalises to 0, as in the official code. Report how often that happens.
  for (const std::string& name : ModelsInTrainingOrder(config)) {
    const ModelSpec& spec = *FindModel(config, name);
    if (spec.kind() != ModelSpec::BT2 || spec.unconstrained_maps()) continue;
    absl::StatusOr<torch::Tensor> embeddings = zoo.TestEmbeddings(name, seed);
    if (!embeddings.ok()) return fail(embeddings.status());
    const double c = spec.norm_c();
    const double expected = spec.extra_dims() > 0 ? std::sqrt(1 + c * c) : c;
    const int64_t off = ((embeddings->norm(2, 1) - expected).abs() > 1e-3).sum().item<int64_t>();
    if (off > 0) {
      outcome.log.push_back(absl::StrFormat(
          "%s seed %d: %d of %d test embeddings do not have the norm %.4f (an all-zero ReLU "
          "output left f or u undefined)",
          name, seed, off, embeddings->size(0), expected));
    }
  }
  return outcome;
}

}  // namespace

absl::Status ValidateBt2Table(const std::string& text, const std::string& path) {
  return ParseTableConfig(text, path).status();
}

absl::StatusOr<TableOutput> RunBt2Table(const std::string& table, const TableRun& run) {
  ASSIGN_OR_RETURN(const TableConfig config, ParseTableConfig(run.config_text, run.config_path));
  TableOutput output;
  TableReport& report = output.report;
  const std::vector<uint64_t> seeds = StartReport(config.experiment(), run, &report);
  ASSIGN_OR_RETURN(const Bt2Data data, LoadBt2Data(config.experiment(), run));
  const torch::Tensor queries = FixedQueries(data.test.labels, config.eval().queries_per_class());
  const std::vector<RowSpec> rows = TableRows(config);

  // Train (or load) and measure every seed: concurrently, one thread each, when the config asks
  // for it (the numbers then do not depend on --threads), else one after another.
  std::vector<SeedOutcome> outcomes(seeds.size());
  const auto run_seed = [&](size_t i) {
    outcomes[i] = RunSeed(config, run.config_path, run.cache_dir, table, data, rows, queries,
                          seeds[i]);
  };
  if (config.parallel_seeds()) {
    // Up to --threads + 1 seeds at a time: 3 seeds on 2 cores then share them evenly instead of
    // leaving one core idle while the last seed runs alone.
    const int cores = run.threads > 0 ? run.threads : HardwareThreads();
    const int workers =
        cores <= 1 ? 1 : std::min<int>(cores + 1, static_cast<int>(seeds.size()));
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        at::set_num_threads(1);
        for (size_t i = next++; i < seeds.size(); i = next++) run_seed(i);
      });
    }
    for (std::thread& thread : threads) thread.join();
    SetThreads(run.threads);  // the workers changed LibTorch's default for new threads
  } else {
    for (size_t i = 0; i < seeds.size(); ++i) run_seed(i);
  }

  // Every (row, metric) -> per-seed values, for the sections, the claims and the plots.
  SectionBuilder all("all rows", {kTop1, kMap});
  std::map<std::string, std::string> dims;  // row -> "m (dq vs dg)"
  double train_seconds = 0, eval_seconds = 0;
  std::vector<std::string> log;
  for (const SeedOutcome& outcome : outcomes) {
    RETURN_IF_ERROR(outcome.status);
    for (size_t r = 0; r < rows.size(); ++r) {
      all.Add(rows[r].label, kTop1, outcome.results[r].top1);
      all.Add(rows[r].label, kMap, outcome.results[r].map);
      dims[rows[r].label] = outcome.dims[r];
    }
    train_seconds += outcome.train_seconds;
    eval_seconds += outcome.eval_seconds;
    log.insert(log.end(), outcome.log.begin(), outcome.log.end());
  }

  // The measured cases.
  const std::string protocol = absl::StrFormat(
      "%d fixed queries (%s per class) against the other %d test images (leave-one-out); "
      "d(q, g) = 1 − <q[:m], g[:m]>, m = min(dims): new/old compares the first d_old dimensions; "
      "Top-1 = CMC top-1, mAP over the whole ranking; mean ± std over %d seed(s), in %%.",
      queries.size(0),
      config.eval().queries_per_class() > 0 ? absl::StrCat(config.eval().queries_per_class())
                                            : "all",
      data.test.size() - 1, seeds.size());
  if (config.cases_size() > 0) {
    SectionBuilder measured("Cross-model retrieval (query model / gallery model)",
                            {kTop1, kMap, kDims}, 2);
    for (const Case& c : config.cases()) {
      for (const char* metric : {kTop1, kMap}) {
        for (double v : all.Values(c.label(), metric)) measured.Add(c.label(), metric, v);
      }
      measured.SetText(c.label(), kDims, dims[c.label()]);
    }
    measured.set_note(protocol);
    *report.add_sections() = measured.Build();
  }
  const CrossMatrix& matrix = config.cross_matrix();
  if (matrix.models_size() > 0) {
    std::vector<Heatmap> maps;
    for (const char* metric : {kTop1, kMap}) {
      std::vector<std::string> columns(matrix.labels().begin(), matrix.labels().end());
      SectionBuilder section(absl::StrCat(metric, " (%), rows: query model, columns: gallery model"),
                             columns, 2);
      Heatmap map;
      map.title = metric;
      map.rows = map.cols = matrix.models_size();
      for (const std::string& q : matrix.labels()) {
        for (const std::string& g : matrix.labels()) {
          const std::string label = absl::StrCat(q, "/", g);
          for (double v : all.Values(label, metric)) section.Add(q, g, v);
          map.values.push_back(all.Mean(label, metric));
        }
      }
      section.set_note(protocol);
      *report.add_sections() = section.Build();
      maps.push_back(map);
    }
    const std::string file = absl::StrCat(table, "_matrix.svg");
    output.svgs.emplace_back(
        file, RenderHeatmapsSvg("query model (rows) × gallery model (columns)", maps, 48));
    Plot* plot = report.add_plots();
    plot->set_file(file);
    plot->set_title("Top-1 and mAP of every query/gallery pair");
  }

  for (const Reported& reported : config.reported()) {
    *report.add_reported() = ReportedSection(reported);
  }

  const MetricLookup lookup = [&all](const std::string& row, const std::string& metric) {
    return MetricStats{all.Mean(row, metric), all.Std(row, metric)};
  };
  for (const ClaimSpec& claim : config.claims()) *report.add_claims() = JudgeClaim(claim, lookup);

  for (const SweepPlot& sweep : config.plots()) {
    LinePlot plot;
    plot.title = sweep.title();
    plot.x_label = sweep.x_label();
    plot.y_label = "%";
    for (const SweepPlot::Line& line : sweep.lines()) {
      Series series;
      series.name = line.name();
      for (int i = 0; i < sweep.x_size(); ++i) {
        series.x.push_back(sweep.x(i));
        series.y.push_back(all.Mean(line.rows(i), line.metric()));
        series.y_err.push_back(all.Std(line.rows(i), line.metric()));
      }
      plot.series.push_back(std::move(series));
    }
    output.svgs.emplace_back(sweep.file(), RenderSvg(plot));
    Plot* entry = report.add_plots();
    entry->set_file(sweep.file());
    entry->set_title(sweep.title());
  }

  report.add_notes(absl::StrFormat(
      "Training %.1f s, retrieval evaluation %.1f s (this run; summed over seeds%s).",
      train_seconds, eval_seconds,
      config.parallel_seeds() ? ", which ran concurrently, one thread each" : ""));
  for (const std::string& line : log) report.add_notes(line);
  return output;
}

}  // namespace repro::bt2
