// The four Spartan tables (tables.h): configs → runs (run.h) → report sections, reported numbers,
// claims and plots. Claims are judged on the measured numbers with the tolerances of the config.
#include "spartan/tables.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/data/fashion_mnist.h"
#include "common/data/image_folder.h"
#include "common/port/status_macros.h"
#include "common/results/section_builder.h"
#include "common/results/svg_plot.h"
#include "common/results/text_config.h"
#include "experiments/experiment.h"
#include "spartan/config.pb.h"
#include "spartan/run.h"

namespace repro::spartan {
namespace {

constexpr char kTop1[] = "top-1 (%)";

std::vector<SparsityMethod> Methods(const google::protobuf::RepeatedField<int>& methods) {
  std::vector<SparsityMethod> out;
  for (int m : methods) out.push_back(static_cast<SparsityMethod>(m));
  return out;
}

std::string Percent(double fraction) { return absl::StrFormat("%g%%", 100.0 * fraction); }

LabeledImages Limit(const LabeledImages& data, int64_t max_items) {
  if (max_items <= 0 || max_items >= data.size()) return data;
  return Select(data, torch::arange(max_items));
}

// The data of a table: Fashion-MNIST at smoke/cpu scale; ImageNet-1K (an ImageFolder tree with
// train/ and val/, 224x224 centre crops) at paper scale.
absl::StatusOr<RunContext> LoadContext(const Experiment& experiment, const TableRun& run) {
  RunContext context;
  const DataSet& data = experiment.data();
  if (data.name() == DataSet::FASHION_MNIST) {
    ASSIGN_OR_RETURN(FashionMnist fmnist, LoadFashionMnist(DataPath(data, run)));
    context.train = Limit(fmnist.train, data.max_train());
    context.test = Limit(fmnist.test, data.max_test());
  } else if (data.name() == DataSet::IMAGENET1K) {
    const std::string root = DataPath(data, run);
    ImageDecodeOptions decode;
    decode.height = decode.width = 224;
    decode.channels = 3;
    decode.center_crop = true;
    const int64_t train_per_class = data.max_train() > 0 ? std::max<int64_t>(1, data.max_train() / 1000) : -1;
    const int64_t test_per_class = data.max_test() > 0 ? std::max<int64_t>(1, data.max_test() / 1000) : -1;
    ASSIGN_OR_RETURN(context.train, LoadImageFolder(root + "/train", decode, train_per_class));
    ASSIGN_OR_RETURN(context.test, LoadImageFolder(root + "/val", decode, test_per_class));
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "Spartan tables train on FASHION_MNIST or IMAGENET1K, not ", DataSet::Name_Name(data.name())));
  }
  context.data_key = data.ShortDebugString();
  context.cache_dir = run.cache_dir;
  context.threads = run.threads;
  return context;
}

absl::Status ValidateData(const Experiment& experiment, const std::string& path) {
  const DataSet::Name name = experiment.data().name();
  if (name != DataSet::FASHION_MNIST && name != DataSet::IMAGENET1K) {
    return ConfigError(path, "experiment.data.name", "must be FASHION_MNIST or IMAGENET1K");
  }
  return absl::OkStatus();
}

SparsityConfig WithMethod(const SparsityConfig& base, SparsityMethod method, double sparsity) {
  SparsityConfig row;
  row.set_method(method);
  if (method != DENSE) row.set_target_sparsity(sparsity);
  return Merged(base, row);
}

// Dense runs carry no sparsity settings, so every table shares one dense run per seed.
SparsityConfig DenseConfig() {
  SparsityConfig dense;
  dense.set_method(DENSE);
  return dense;
}

// Claims shared by every table: exact non-zero counts and the measured sparsity on target.
class ExactnessCheck {
 public:
  explicit ExactnessCheck(const ExactnessClaim& claim) : claim_(claim) {}

  void Add(const std::string& label, const RunRecord& r) {
    ++runs_;
    if (r.masked_nonzeros() == r.budgeted_nonzeros()) {
      ++exact_;
      if (example_.empty()) {
        example_ = absl::StrCat(label, ": ", r.masked_nonzeros(), " non-zeros = ",
                                r.budgeted_nonzeros(), " budgeted");
      }
    } else {
      mismatches_.push_back(absl::StrCat(label, ": ", r.masked_nonzeros(), " non-zeros vs ",
                                         r.budgeted_nonzeros(), " budgeted"));
    }
    const double deviation = std::abs(r.measured_for_target() - r.target_sparsity());
    const double allowed = r.target_granularity() + claim_.extra_tolerance();
    if (deviation - allowed > worst_excess_) {
      worst_excess_ = deviation - allowed;
      worst_ = absl::StrFormat("%s: measured %.6f vs target %.6f (allowed %.2g)", label,
                               r.measured_for_target(), r.target_sparsity(), allowed);
    }
    max_exact_zeros_excess_ = std::max(max_exact_zeros_excess_, r.sparsity_all() - r.target_sparsity());
    if (deviation > max_deviation_) {
      max_deviation_ = deviation;
      max_example_ = absl::StrFormat("%s: measured %.6f vs target %.6f, allowed %.2g", label,
                                     r.measured_for_target(), r.target_sparsity(), allowed);
    }
  }

  void AddClaims(TableReport* report) const {
    if (runs_ == 0) return;
    Claim* exact = report->add_claims();
    exact->set_id("exact_nonzeros");
    exact->set_text(
        "After hardening, every sparse run has exactly the budgeted number of non-zeros");
    exact->set_holds(exact_ == runs_);
    exact->set_evidence(
        mismatches_.empty()
            ? absl::StrCat(exact_, "/", runs_, " runs exact (e.g. ", example_, ")")
            : absl::StrCat(exact_, "/", runs_, " runs exact; ", absl::StrJoin(mismatches_, "; ")));
    Claim* target = report->add_claims();
    target->set_id("sparsity_equals_target");
    target->set_text(absl::StrFormat(
        "The measured sparsity equals the target (within the budget's rounding to whole entries "
        "+ %g)", claim_.extra_tolerance()));
    target->set_holds(worst_excess_ <= 0.0);
    target->set_evidence(worst_excess_ <= 0.0
                             ? absl::StrCat(runs_, " runs; largest deviation ", max_example_)
                             : absl::StrCat("out of tolerance: ", worst_));
    if (max_exact_zeros_excess_ > 0) {
      target->set_evidence(absl::StrFormat(
          "%s. Counting every exact zero (also BatchNorm shifts of fully pruned channels that stay "
          "0) the sparsity is up to %.3f points above the target.",
          target->evidence(), 100.0 * max_exact_zeros_excess_));
    }
  }

 private:
  ExactnessClaim claim_;
  int runs_ = 0;
  int exact_ = 0;
  std::string example_;
  std::vector<std::string> mismatches_;
  double worst_excess_ = -1e300;
  std::string worst_;
  double max_deviation_ = -1.0;
  double max_exact_zeros_excess_ = 0.0;
  std::string max_example_;
};

void AddReported(const google::protobuf::RepeatedPtrField<ReportedTable>& tables,
                 TableReport* report) {
  for (const ReportedTable& t : tables) {
    SectionBuilder section(t.title(), {t.columns().begin(), t.columns().end()});
    for (const ReportedRow& row : t.rows()) {
      for (int c = 0; c < row.cells_size() && c < t.columns_size(); ++c) {
        section.SetText(row.label(), t.columns(c), row.cells(c));
      }
    }
    section.set_note(t.note());
    *report->add_reported() = section.Build();
  }
}

absl::Status ValidateReported(const google::protobuf::RepeatedPtrField<ReportedTable>& tables,
                              const std::string& path) {
  for (int i = 0; i < tables.size(); ++i) {
    for (const ReportedRow& row : tables[i].rows()) {
      if (row.cells_size() != tables[i].columns_size()) {
        return ConfigError(path, absl::StrCat("reported[", i, "].rows"),
                           absl::StrCat("row '", row.label(), "' has ", row.cells_size(),
                                        " cells for ", tables[i].columns_size(), " columns"));
      }
    }
  }
  return absl::OkStatus();
}

// Notes every table carries about how its runs execute.
void AddRunNotes(TableReport* report) {
  report->add_notes(
      "Runs execute concurrently, each on one intra-op thread (up to --threads runs at a time), so "
      "every number is independent of the thread count; finished runs are cached by the hash of "
      "everything that determines them, and tables that share a run train it once.");
}

std::string SeedLabel(const std::string& row, uint64_t seed) {
  return absl::StrCat(row, " seed ", seed);
}

// "Kept weights per layer" of a set of runs: rows in the order given, one column per masked layer
// (mean over seeds of the non-zero weights left in it).
class AllocationSection {
 public:
  explicit AllocationSection(std::string title) : title_(std::move(title)) {}
  void Add(const std::string& row, const RunRecord& r) {
    if (columns_.empty()) {
      for (int l = 0; l < r.layer_names_size(); ++l) {
        columns_.push_back(absl::StrCat(r.layer_names(l), " (", r.layer_weights(l), ")"));
      }
    }
    rows_.push_back({row, r});
  }
  void AddTo(TableReport* report, const std::string& note) const {
    if (columns_.empty()) return;
    SectionBuilder section(title_, columns_, 0);
    for (const auto& [row, r] : rows_) {
      for (int l = 0; l < r.layer_kept_size() && l < static_cast<int>(columns_.size()); ++l) {
        section.Add(row, columns_[l], static_cast<double>(r.layer_kept(l)));
      }
    }
    section.set_note(note);
    *report->add_sections() = section.Build();
  }

 private:
  std::string title_;
  std::vector<std::string> columns_;
  std::vector<std::pair<std::string, RunRecord>> rows_;
};

// Mean over seeds of per-step flips.
std::vector<double> MeanFlips(const std::vector<RunRecord>& runs) {
  size_t steps = 0;
  for (const RunRecord& r : runs) steps = std::max<size_t>(steps, r.flips_size());
  std::vector<double> mean(steps, 0.0);
  for (const RunRecord& r : runs) {
    for (int i = 0; i < r.flips_size(); ++i) mean[i] += static_cast<double>(r.flips(i)) / runs.size();
  }
  return mean;
}

// ---------------------------------------------------------------------------------------------
// spartan_resnet

absl::Status ParseResnet(const std::string& text, const std::string& path,
                         ResnetTableConfig* config) {
  RETURN_IF_ERROR(ParseTextConfig(text, path, config));
  RETURN_IF_ERROR(ValidateExperiment(config->experiment(), path));
  RETURN_IF_ERROR(ValidateData(config->experiment(), path));
  RETURN_IF_ERROR(ValidateSetup(config->setup(), path));
  if (config->sparsities().empty()) return ConfigError(path, "sparsities", "needs at least one");
  if (config->methods().empty()) return ConfigError(path, "methods", "needs at least one");
  ASSIGN_OR_RETURN(const SparsityChecker checker, SparsityChecker::Create(config->setup()));
  for (int i = 0; i < config->sparsities_size(); ++i) {
    for (int m = 0; m < config->methods_size(); ++m) {
      const auto method = static_cast<SparsityMethod>(config->methods(m));
      if (method == DENSE) continue;
      RETURN_IF_ERROR(checker.Check(
          WithMethod(config->setup().sparsity(), method, config->sparsities(i)), path,
          absl::StrCat("sparsities[", i, "] (", MethodLabel(method), ")")));
    }
  }
  const std::set<double> levels(config->sparsities().begin(), config->sparsities().end());
  for (double s : config->ordering().sparsities()) {
    if (!levels.count(s)) {
      return ConfigError(path, "ordering.sparsities", absl::StrCat(s, " is not in sparsities"));
    }
  }
  if (config->ordering().tolerance() < 0) {
    return ConfigError(path, "ordering.tolerance", "must be >= 0");
  }
  return ValidateReported(config->reported(), path);
}

}  // namespace

absl::Status ValidateResnetTable(const std::string& text, const std::string& path) {
  ResnetTableConfig config;
  return ParseResnet(text, path, &config);
}

absl::StatusOr<TableOutput> RunResnetTable(const TableRun& run) {
  ResnetTableConfig config;
  RETURN_IF_ERROR(ParseResnet(run.config_text, run.config_path, &config));
  TableOutput output;
  const std::vector<uint64_t> seeds = StartReport(config.experiment(), run, &output.report);
  AddRunNotes(&output.report);
  ASSIGN_OR_RETURN(const RunContext context, LoadContext(config.experiment(), run));
  const Setup& setup = config.setup();

  std::vector<std::string> columns;
  for (double s : config.sparsities()) columns.push_back(Percent(s));
  SectionBuilder accuracy("Test top-1 (%) of the finalized models vs target sparsity", columns);
  SectionBuilder sparsity("Measured sparsity over all parameters (%): zeros made by the masks",
                          columns, 3);
  SectionBuilder exact_zeros("Exact zeros over all parameters (%)", columns, 3);
  SectionBuilder timing("Training time per run (s)", columns, 1);
  timing.set_timing(true);  // wall times differ from run to run: kept out of the .csv
  ExactnessCheck exactness(config.exactness());
  AllocationSection allocation(
      "Final allocation: kept weights per layer (column: layer (its weights); mean over seeds)");

  const std::string dense_row = MethodLabel(DENSE);
  std::vector<RunRequest> requests;
  for (uint64_t seed : seeds) {
    requests.push_back({setup, DenseConfig(), seed, SeedLabel(dense_row, seed)});
  }
  for (SparsityMethod method : Methods(config.methods())) {
    if (method == DENSE) continue;
    for (double s : config.sparsities()) {
      for (uint64_t seed : seeds) {
        requests.push_back({setup, WithMethod(setup.sparsity(), method, s), seed,
                            absl::StrCat(MethodLabel(method), " ", Percent(s), " seed ", seed)});
      }
    }
  }
  ASSIGN_OR_RETURN(const std::vector<RunRecord> records, RunAll(requests, context));
  size_t next = 0;
  for (size_t k = 0; k < seeds.size(); ++k) {
    const RunRecord& r = records[next++];
    for (const std::string& column : columns) {
      accuracy.Add(dense_row, column, r.accuracy());
      sparsity.Add(dense_row, column, 100.0 * r.sparsity_from_masks());
      exact_zeros.Add(dense_row, column, 100.0 * r.sparsity_all());
      timing.Add(dense_row, column, r.train_seconds());
    }
  }
  for (SparsityMethod method : Methods(config.methods())) {
    if (method == DENSE) continue;
    const std::string row = MethodLabel(method);
    for (int i = 0; i < config.sparsities_size(); ++i) {
      for (size_t k = 0; k < seeds.size(); ++k) {
        const RunRecord& r = records[next];
        accuracy.Add(row, columns[i], r.accuracy());
        sparsity.Add(row, columns[i], 100.0 * r.sparsity_from_masks());
        exact_zeros.Add(row, columns[i], 100.0 * r.sparsity_all());
        timing.Add(row, columns[i], r.train_seconds());
        exactness.Add(requests[next].label, r);
        allocation.Add(absl::StrCat(row, ", ", columns[i]), r);
        ++next;
      }
    }
  }
  accuracy.set_note(
      "Mean ± std over seeds. The dense model is trained once per seed and repeated in every "
      "column. All methods share the model, recipe and sparsity schedule (density ramp, freeze, "
      "fixed-mask fine-tuning); the sparsity is over all parameters (BN and biases included).");
  *output.report.add_sections() = accuracy.Build();
  *output.report.add_sections() = sparsity.Build();
  exact_zeros.set_note(
      "Every exactly-zero parameter counts here, also those no mask made: the BatchNorm shift of a "
      "channel whose weights were all pruned gets no gradient and stays at its initial 0.");
  *output.report.add_sections() = exact_zeros.Build();
  timing.set_note("Wall time of each training run on this machine (a run read back from the "
                  "cache reports the time it took when it was trained).");
  *output.report.add_sections() = timing.Build();
  allocation.AddTo(&output.report,
                   "Global allocation lets layers compete: a layer left with no weights "
                   "disconnects the network (top-1 at chance).");
  AddReported(config.reported(), &output.report);

  const double tol = config.ordering().tolerance();
  const std::string spartan = MethodLabel(SPARTAN), da = MethodLabel(DUAL_AVERAGING),
                    gmp = MethodLabel(MAGNITUDE);
  for (double s : config.ordering().sparsities()) {
    const std::string column = Percent(s);
    const auto pair_claim = [&](const std::string& id, const std::string& better,
                                const std::string& worse) {
      const double a = accuracy.Mean(better, column), b = accuracy.Mean(worse, column);
      Claim* claim = output.report.add_claims();
      claim->set_id(id);
      claim->set_text(absl::StrFormat("At %s sparsity, %s reaches at least the top-1 of %s "
                                      "(mean over seeds, tolerance %.2g points)",
                                      column, better, worse, tol));
      claim->set_holds(a >= b - tol);
      claim->set_evidence(absl::StrFormat("%s %.2f ± %.2f vs %s %.2f ± %.2f (difference %+.2f)",
                                          better, a, accuracy.Std(better, column), worse, b,
                                          accuracy.Std(worse, column), a - b));
    };
    const std::string pct = absl::StrFormat("%g", 100.0 * s);
    pair_claim(absl::StrCat("spartan_ge_dual_averaging_", pct), spartan, da);
    pair_claim(absl::StrCat("dual_averaging_ge_magnitude_", pct), da, gmp);
  }
  exactness.AddClaims(&output.report);

  // Accuracy vs sparsity.
  LinePlot plot;
  plot.title = "Test top-1 vs target sparsity (mean ± std over seeds)";
  plot.x_label = "target sparsity (%)";
  plot.y_label = "top-1 (%)";
  for (const std::string& row : std::vector<std::string>{dense_row}) {
    Series series{row, {}, {}, {}};
    for (int i = 0; i < config.sparsities_size(); ++i) {
      series.x.push_back(100.0 * config.sparsities(i));
      series.y.push_back(accuracy.Mean(row, columns[i]));
    }
    plot.series.push_back(series);
  }
  for (SparsityMethod method : Methods(config.methods())) {
    if (method == DENSE) continue;
    Series series{MethodLabel(method), {}, {}, {}};
    for (int i = 0; i < config.sparsities_size(); ++i) {
      series.x.push_back(100.0 * config.sparsities(i));
      series.y.push_back(accuracy.Mean(series.name, columns[i]));
      const double sd = accuracy.Std(series.name, columns[i]);
      series.y_err.push_back(std::isfinite(sd) ? sd : 0.0);
    }
    plot.series.push_back(series);
  }
  const std::string file = "spartan_resnet_accuracy.svg";
  output.svgs.push_back({file, RenderSvg(plot)});
  Plot* p = output.report.add_plots();
  p->set_file(file);
  p->set_title(plot.title);
  return output;
}

// ---------------------------------------------------------------------------------------------
// spartan_vit_blocks

namespace {

std::string BlockLabel(const BlockShape& b) {
  return b.rows() * b.cols() == 1 ? std::string("unstructured")
                                  : absl::StrCat(b.rows(), "×", b.cols(), " blocks");
}

SparsityConfig VitRunConfig(const VitBlocksTableConfig& config, SparsityMethod method,
                            const BlockShape& block) {
  SparsityConfig row = WithMethod(config.setup().sparsity(), method, config.target_sparsity());
  row.set_block_rows(block.rows());
  row.set_block_cols(block.cols());
  return row;
}

absl::Status ParseVit(const std::string& text, const std::string& path,
                      VitBlocksTableConfig* config) {
  RETURN_IF_ERROR(ParseTextConfig(text, path, config));
  RETURN_IF_ERROR(ValidateExperiment(config->experiment(), path));
  RETURN_IF_ERROR(ValidateData(config->experiment(), path));
  RETURN_IF_ERROR(ValidateSetup(config->setup(), path));
  if (!(config->target_sparsity() >= 0.0 && config->target_sparsity() < 1.0)) {
    return ConfigError(path, "target_sparsity",
                       absl::StrCat(config->target_sparsity(), " is outside [0, 1)"));
  }
  if (config->block_shapes().empty()) return ConfigError(path, "block_shapes", "needs one");
  if (config->methods().empty()) return ConfigError(path, "methods", "needs at least one");
  ASSIGN_OR_RETURN(const SparsityChecker checker, SparsityChecker::Create(config->setup()));
  for (int b = 0; b < config->block_shapes_size(); ++b) {
    const BlockShape& block = config->block_shapes(b);
    if (block.rows() < 1 || block.cols() < 1) {
      return ConfigError(path, absl::StrCat("block_shapes[", b, "]"), "must be at least 1x1");
    }
    for (SparsityMethod method : Methods(config->methods())) {
      if (method == DENSE) continue;
      RETURN_IF_ERROR(checker.Check(VitRunConfig(*config, method, block), path,
                                    absl::StrCat("block_shapes[", b, "]")));
    }
  }
  if (config->block_gap().tolerance() < 0) {
    return ConfigError(path, "block_gap.tolerance", "must be >= 0");
  }
  return ValidateReported(config->reported(), path);
}

}  // namespace

absl::Status ValidateVitBlocksTable(const std::string& text, const std::string& path) {
  VitBlocksTableConfig config;
  return ParseVit(text, path, &config);
}

absl::StatusOr<TableOutput> RunVitBlocksTable(const TableRun& run) {
  VitBlocksTableConfig config;
  RETURN_IF_ERROR(ParseVit(run.config_text, run.config_path, &config));
  TableOutput output;
  const std::vector<uint64_t> seeds = StartReport(config.experiment(), run, &output.report);
  AddRunNotes(&output.report);
  ASSIGN_OR_RETURN(const RunContext context, LoadContext(config.experiment(), run));
  const Setup& setup = config.setup();

  constexpr char kDrop[] = "drop vs dense (points)";
  constexpr char kSparsity[] = "sparsity of the masked weights (%)";
  constexpr char kAll[] = "sparsity of all parameters (%)";
  constexpr char kEntries[] = "mask entries";
  constexpr char kSeconds[] = "train time (s)";
  SectionBuilder table(
      absl::StrCat("Tiny ViT at ", Percent(config.target_sparsity()),
                   " target sparsity: test top-1 (%)"),
      {kTop1, kDrop, kSparsity, kAll, kEntries});
  // Wall times differ from run to run: a timing section, kept out of the .csv.
  SectionBuilder timing("Tiny ViT: training time per run", {kSeconds});
  timing.set_timing(true);
  ExactnessCheck exactness(config.exactness());
  std::map<uint64_t, double> dense_accuracy;
  const std::string dense_row = MethodLabel(DENSE);
  std::vector<RunRequest> requests;
  for (uint64_t seed : seeds) {
    requests.push_back({setup, DenseConfig(), seed, SeedLabel(dense_row, seed)});
  }
  std::map<std::pair<int, std::string>, std::string> rows;  // (block, method) → row
  for (SparsityMethod method : Methods(config.methods())) {
    if (method == DENSE) continue;
    for (int b = 0; b < config.block_shapes_size(); ++b) {
      const BlockShape& block = config.block_shapes(b);
      const std::string row = absl::StrCat(MethodLabel(method), ", ", BlockLabel(block));
      rows[{b, MethodLabel(method)}] = row;
      for (uint64_t seed : seeds) {
        requests.push_back({setup, VitRunConfig(config, method, block), seed, SeedLabel(row, seed)});
      }
    }
  }
  ASSIGN_OR_RETURN(const std::vector<RunRecord> records, RunAll(requests, context));
  size_t next = 0;
  for (uint64_t seed : seeds) {
    const RunRecord& r = records[next++];
    dense_accuracy[seed] = r.accuracy();
    table.Add(dense_row, kTop1, r.accuracy());
    table.Add(dense_row, kDrop, 0.0);
    table.Add(dense_row, kSparsity, 100.0 * r.sparsity_masked());
    table.Add(dense_row, kAll, 100.0 * r.sparsity_all());
    timing.Add(dense_row, kSeconds, r.train_seconds());
  }
  for (SparsityMethod method : Methods(config.methods())) {
    if (method == DENSE) continue;
    for (int b = 0; b < config.block_shapes_size(); ++b) {
      const std::string& row = rows[{b, MethodLabel(method)}];
      for (uint64_t seed : seeds) {
        const RunRecord& r = records[next];
        table.Add(row, kTop1, r.accuracy());
        table.Add(row, kDrop, dense_accuracy[seed] - r.accuracy());
        table.Add(row, kSparsity, 100.0 * r.sparsity_masked());
        table.Add(row, kAll, 100.0 * r.sparsity_all());
        table.Add(row, kEntries, static_cast<double>(r.mask_entries()));
        timing.Add(row, kSeconds, r.train_seconds());
        exactness.Add(requests[next].label, r);
        ++next;
      }
    }
  }
  table.set_note(
      "Mean ± std over seeds; 'drop vs dense' pairs each run with the dense run of the same seed. "
      "Blocks span rows × columns of each encoder Linear weight; β_final is scaled by "
      "√(block size); the patch embedding and the head stay dense.");
  *output.report.add_sections() = table.Build();
  timing.set_note("Wall time of each training run on this machine (a run read back from the cache "
                  "reports the time it took when it was trained).");
  *output.report.add_sections() = timing.Build();
  AddReported(config.reported(), &output.report);

  const std::string spartan = MethodLabel(SPARTAN), da = MethodLabel(DUAL_AVERAGING);
  for (int b = 0; b < config.block_shapes_size(); ++b) {
    const BlockShape& block = config.block_shapes(b);
    if (block.rows() * block.cols() == 1) continue;
    if (!rows.count({b, spartan}) || !rows.count({b, da})) continue;
    const double gs = table.Mean(rows[{b, spartan}], kDrop), gd = table.Mean(rows[{b, da}], kDrop);
    const double tol = config.block_gap().tolerance();
    Claim* claim = output.report.add_claims();
    claim->set_id(absl::StrCat("block_", block.rows(), "x", block.cols(), "_spartan_loses_less"));
    claim->set_text(absl::StrFormat(
        "With %s, block-sparse Spartan loses less top-1 against dense than block-sparse dual "
        "averaging (tolerance %.2g points)",
        BlockLabel(block), tol));
    claim->set_holds(gs <= gd + tol);
    claim->set_evidence(absl::StrFormat("drop vs dense: Spartan %.2f ± %.2f, dual averaging %.2f ± %.2f",
                                        gs, table.Std(rows[{b, spartan}], kDrop), gd,
                                        table.Std(rows[{b, da}], kDrop)));
  }
  exactness.AddClaims(&output.report);
  return output;
}

// ---------------------------------------------------------------------------------------------
// spartan_ablation

namespace {

absl::Status ParseAblation(const std::string& text, const std::string& path,
                           AblationTableConfig* config) {
  RETURN_IF_ERROR(ParseTextConfig(text, path, config));
  RETURN_IF_ERROR(ValidateExperiment(config->experiment(), path));
  RETURN_IF_ERROR(ValidateData(config->experiment(), path));
  RETURN_IF_ERROR(ValidateSetup(config->setup(), path));
  if (config->variants().empty()) return ConfigError(path, "variants", "needs at least one");
  std::set<std::string> names;
  ASSIGN_OR_RETURN(const SparsityChecker checker, SparsityChecker::Create(config->setup()));
  for (int v = 0; v < config->variants_size(); ++v) {
    const AblationVariant& variant = config->variants(v);
    const std::string field = absl::StrCat("variants[", v, "]");
    if (variant.name().empty() || !names.insert(variant.name()).second) {
      return ConfigError(path, field + ".name", "must be non-empty and unique");
    }
    const SparsityConfig merged = Merged(config->setup().sparsity(), variant.sparsity());
    if (merged.method() == DENSE) return ConfigError(path, field, "must be a sparse method");
    RETURN_IF_ERROR(checker.Check(merged, path, field + ".sparsity"));
  }
  if (config->flip_decay().max_ratio() <= 0) {
    return ConfigError(path, "flip_decay.max_ratio", "must be > 0");
  }
  if (config->plot_file().empty()) return ConfigError(path, "plot_file", "is empty");
  return absl::OkStatus();
}

// Mean flips per step over steps [begin, end) (1-based step numbers), or 0 for an empty range.
double MeanOver(const std::vector<double>& flips, int64_t begin, int64_t end) {
  double sum = 0.0;
  int64_t n = 0;
  for (int64_t s = begin; s < end && s - 1 < static_cast<int64_t>(flips.size()); ++s) {
    if (s < 1) continue;
    sum += flips[s - 1];
    ++n;
  }
  return n > 0 ? sum / static_cast<double>(n) : 0.0;
}

}  // namespace

absl::Status ValidateAblationTable(const std::string& text, const std::string& path) {
  AblationTableConfig config;
  return ParseAblation(text, path, &config);
}

absl::StatusOr<TableOutput> RunAblationTable(const TableRun& run) {
  AblationTableConfig config;
  RETURN_IF_ERROR(ParseAblation(run.config_text, run.config_path, &config));
  TableOutput output;
  const std::vector<uint64_t> seeds = StartReport(config.experiment(), run, &output.report);
  AddRunNotes(&output.report);
  ASSIGN_OR_RETURN(const RunContext context, LoadContext(config.experiment(), run));
  const Setup& setup = config.setup();

  constexpr char kSparsity[] = "sparsity (%)";
  constexpr char kEarly[] = "flips/step, first quarter of exploration";
  constexpr char kLate[] = "flips/step, last quarter of exploration";
  constexpr char kAfter[] = "flips after the freeze";
  constexpr char kIters[] = "Sinkhorn iterations/step";
  SectionBuilder table("Spartan ablations: test top-1 (%) and mask flips",
                       {kTop1, kSparsity, kEarly, kLate, kAfter, kIters});
  ExactnessCheck exactness(config.exactness());
  LinePlot plot;
  plot.title = "Hard-mask flips per step (mean over seeds)";
  plot.x_label = "training step";
  plot.y_label = "mask entries changed";
  std::vector<RunRequest> requests;
  for (const AblationVariant& variant : config.variants()) {
    for (uint64_t seed : seeds) {
      requests.push_back({setup, Merged(setup.sparsity(), variant.sparsity()), seed,
                          SeedLabel(variant.name(), seed)});
    }
  }
  ASSIGN_OR_RETURN(const std::vector<RunRecord> records, RunAll(requests, context));
  size_t next = 0;
  for (const AblationVariant& variant : config.variants()) {
    const SparsityConfig sparsity = Merged(setup.sparsity(), variant.sparsity());
    std::vector<RunRecord> runs;
    for (size_t k = 0; k < seeds.size(); ++k, ++next) {
      const RunRecord& r = records[next];
      const std::string& label = requests[next].label;
      std::vector<double> flips(r.flips().begin(), r.flips().end());
      const int64_t begin = r.ramp_end_step() + 1, end = r.freeze_step() + 1;
      const int64_t quarter = std::max<int64_t>(1, (end - begin) / 4);
      table.Add(variant.name(), kTop1, r.accuracy());
      table.Add(variant.name(), kSparsity, 100.0 * r.sparsity_from_masks());
      table.Add(variant.name(), kEarly, MeanOver(flips, begin, begin + quarter));
      table.Add(variant.name(), kLate, MeanOver(flips, end - quarter, end));
      table.Add(variant.name(), kAfter,
                MeanOver(flips, end + 1, r.steps() + 1) * static_cast<double>(r.steps() - end));
      table.Add(variant.name(), kIters,
                static_cast<double>(r.sinkhorn_iterations()) / static_cast<double>(r.steps()));
      exactness.Add(label, r);
      runs.push_back(r);
    }
    std::vector<double> mean = MeanFlips(runs);
    Series series{variant.name(), {}, {}, {}};
    for (size_t i = 0; i < mean.size(); ++i) {
      series.x.push_back(static_cast<double>(i + 1));
      series.y.push_back(mean[i]);
    }
    plot.series.push_back(series);
    if (sparsity.method() == SPARTAN) {
      const double early = table.Mean(variant.name(), kEarly), late = table.Mean(variant.name(), kLate);
      const double after = table.Mean(variant.name(), kAfter);
      const double ratio = config.flip_decay().max_ratio();
      Claim* claim = output.report.add_claims();
      claim->set_id(absl::StrCat("flips_decay_", absl::StrReplaceAll(variant.name(), {{" ", "_"}})));
      claim->set_text(absl::StrFormat(
          "%s: mask flips decay during exploration (last quarter <= %.2g × first quarter) and are "
          "zero after the freeze",
          variant.name(), ratio));
      claim->set_holds(late <= ratio * early && after == 0.0);
      claim->set_evidence(absl::StrFormat(
          "flips/step %.1f (first quarter) → %.1f (last quarter), ratio %.2f; %g after the freeze",
          early, late, early > 0 ? late / early : 0.0, after));
    }
  }
  table.set_note(
      "Exploration = the steps between the end of the density ramp and the mask freeze; flips "
      "count hard-mask entries that changed from one step to the next (mean over seeds). "
      "'flips after the freeze' is the total over the fine-tuning steps.");
  *output.report.add_sections() = table.Build();
  exactness.AddClaims(&output.report);
  output.svgs.push_back({config.plot_file(), RenderSvg(plot)});
  Plot* p = output.report.add_plots();
  p->set_file(config.plot_file());
  p->set_title(plot.title);
  return output;
}

// ---------------------------------------------------------------------------------------------
// spartan_flops

namespace {

SparsityConfig FlopConfig(const SparsityConfig& base, double flop_fraction) {
  SparsityConfig row;
  row.set_method(SPARTAN);
  row.set_cost_model(FLOPS);
  row.set_target_sparsity(1.0 - flop_fraction);
  return Merged(base, row);
}

absl::Status ParseFlops(const std::string& text, const std::string& path, FlopsTableConfig* config) {
  RETURN_IF_ERROR(ParseTextConfig(text, path, config));
  RETURN_IF_ERROR(ValidateExperiment(config->experiment(), path));
  RETURN_IF_ERROR(ValidateData(config->experiment(), path));
  RETURN_IF_ERROR(ValidateSetup(config->setup(), path));
  if (config->sparsities().empty()) return ConfigError(path, "sparsities", "needs at least one");
  ASSIGN_OR_RETURN(const SparsityChecker checker, SparsityChecker::Create(config->setup()));
  for (int i = 0; i < config->sparsities_size(); ++i) {
    const std::string field = absl::StrCat("sparsities[", i, "]");
    RETURN_IF_ERROR(checker.Check(
        WithMethod(config->setup().sparsity(), SPARTAN, config->sparsities(i)), path, field));
    // The FLOP-cost run's target is only known after training; check the cost model itself.
    RETURN_IF_ERROR(checker.Check(
        FlopConfig(config->setup().sparsity(), 1.0 - config->sparsities(i)), path,
        field + " (FLOP cost)"));
  }
  if (config->flop_target().relative_tolerance() <= 0) {
    return ConfigError(path, "flop_target.relative_tolerance", "must be > 0");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateFlopsTable(const std::string& text, const std::string& path) {
  FlopsTableConfig config;
  return ParseFlops(text, path, &config);
}

absl::StatusOr<TableOutput> RunFlopsTable(const TableRun& run) {
  FlopsTableConfig config;
  RETURN_IF_ERROR(ParseFlops(run.config_text, run.config_path, &config));
  TableOutput output;
  const std::vector<uint64_t> seeds = StartReport(config.experiment(), run, &output.report);
  AddRunNotes(&output.report);
  ASSIGN_OR_RETURN(const RunContext context, LoadContext(config.experiment(), run));
  const Setup& setup = config.setup();

  constexpr char kFlops[] = "FLOP fraction (%)";
  constexpr char kTarget[] = "FLOP target (%)";
  constexpr char kSparsity[] = "parameter sparsity (%)";
  SectionBuilder table("Spartan with parameter-count vs FLOP costs at equal FLOPs: test top-1 (%)",
                       {kTop1, kFlops, kTarget, kSparsity}, 2);
  ExactnessCheck exactness(config.exactness());
  AllocationSection allocation(
      "Final allocation: kept weights per layer (column: layer (its weights); mean over seeds)");
  const double tol = config.flop_target().relative_tolerance();
  // Phase 1: the parameter-count runs; phase 2: the FLOP-cost runs at their FLOP fractions.
  std::vector<RunRequest> param_requests;
  for (double s : config.sparsities()) {
    for (uint64_t seed : seeds) {
      param_requests.push_back({setup, WithMethod(setup.sparsity(), SPARTAN, s), seed,
                                SeedLabel(absl::StrCat("parameter cost, ", Percent(s), " sparsity"),
                                          seed)});
    }
  }
  ASSIGN_OR_RETURN(const std::vector<RunRecord> param_records, RunAll(param_requests, context));
  std::vector<double> targets;
  std::vector<RunRequest> flop_requests;
  for (int i = 0; i < config.sparsities_size(); ++i) {
    double flop_fraction = 0.0;
    for (size_t k = 0; k < seeds.size(); ++k) {
      flop_fraction += param_records[i * seeds.size() + k].flop_fraction() /
                       static_cast<double>(seeds.size());
    }
    // Rounded to 1e-6 so the FLOP runs' cache key is stable.
    flop_fraction = std::round(flop_fraction * 1e6) / 1e6;
    targets.push_back(flop_fraction);
    for (uint64_t seed : seeds) {
      flop_requests.push_back(
          {setup, FlopConfig(setup.sparsity(), flop_fraction), seed,
           SeedLabel(absl::StrFormat("FLOP cost, FLOP target %.2f%% (matched)", 100.0 * flop_fraction),
                     seed)});
    }
  }
  ASSIGN_OR_RETURN(const std::vector<RunRecord> flop_records, RunAll(flop_requests, context));
  for (int i = 0; i < config.sparsities_size(); ++i) {
    const double s = config.sparsities(i);
    const double flop_fraction = targets[i];
    const std::string param_row = absl::StrCat("parameter cost, ", Percent(s), " sparsity");
    const std::string flop_row =
        absl::StrFormat("FLOP cost, FLOP target %.2f%% (matched)", 100.0 * flop_fraction);
    for (size_t k = 0; k < seeds.size(); ++k) {
      const size_t j = i * seeds.size() + k;
      const RunRecord& r = param_records[j];
      table.Add(param_row, kTop1, r.accuracy());
      table.Add(param_row, kFlops, 100.0 * r.flop_fraction());
      table.Add(param_row, kSparsity, 100.0 * r.sparsity_from_masks());
      exactness.Add(param_requests[j].label, r);
      allocation.Add(param_row, r);
    }
    table.SetText(param_row, kTarget, "—");
    double worst = 0.0;
    std::string worst_label;
    for (size_t k = 0; k < seeds.size(); ++k) {
      const size_t j = i * seeds.size() + k;
      const RunRecord& r = flop_records[j];
      table.Add(flop_row, kTop1, r.accuracy());
      table.Add(flop_row, kFlops, 100.0 * r.flop_fraction());
      table.Add(flop_row, kTarget, 100.0 * flop_fraction);
      table.Add(flop_row, kSparsity, 100.0 * r.sparsity_from_masks());
      exactness.Add(flop_requests[j].label, r);
      allocation.Add(flop_row, r);
      const double rel = std::abs(r.flop_fraction() - flop_fraction) / flop_fraction;
      if (rel >= worst) {
        worst = rel;
        worst_label = absl::StrFormat("%s: %.4f%% vs target %.4f%%", flop_requests[j].label,
                                      100.0 * r.flop_fraction(), 100.0 * flop_fraction);
      }
    }
    Claim* claim = output.report.add_claims();
    claim->set_id(absl::StrCat("flop_target_", absl::StrFormat("%g", 100.0 * s)));
    claim->set_text(absl::StrFormat(
        "The FLOP-cost allocation meets its FLOP target (%.2f%%) within %.2g%% (relative)",
        100.0 * flop_fraction, 100.0 * tol));
    claim->set_holds(worst <= tol);
    claim->set_evidence(absl::StrFormat("largest relative deviation %.4f%% (%s)", 100.0 * worst,
                                        worst_label));
  }
  table.set_note(
      "FLOPs follow the linear cost model: a kept conv weight costs its output's H·W "
      "multiply-adds, a kept linear weight 1, as a fraction of the dense masked layers. Each "
      "FLOP-cost run targets the FLOP fraction the parameter-count runs reached (mean over "
      "seeds), so the two rows compare accuracy at equal FLOPs.");
  *output.report.add_sections() = table.Build();
  allocation.AddTo(&output.report,
                   "With FLOP costs the layers compete by |w| / (H·W of the layer's output), so a "
                   "weight of an early, high-resolution convolution must be larger to be kept.");
  exactness.AddClaims(&output.report);
  return output;
}

REGISTER_TABLE("spartan", "spartan_resnet", RunResnetTable, ValidateResnetTable);
REGISTER_TABLE("spartan", "spartan_vit_blocks", RunVitBlocksTable, ValidateVitBlocksTable);
REGISTER_TABLE("spartan", "spartan_ablation", RunAblationTable, ValidateAblationTable);
REGISTER_TABLE("spartan", "spartan_flops", RunFlopsTable, ValidateFlopsTable);

}  // namespace repro::spartan
