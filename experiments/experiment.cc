#include "experiments/experiment.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/results/text_config.h"

namespace repro {

std::string ScaleName(Scale scale) {
  switch (scale) {
    case SMOKE:
      return "smoke";
    case CPU:
      return "cpu";
    case PAPER:
      return "paper";
    default:
      return "";
  }
}

absl::Status ValidateExperiment(const Experiment& experiment, const std::string& path) {
  if (experiment.title().empty()) return ConfigError(path, "experiment.title", "is empty");
  const std::string scale = ScaleName(experiment.scale());
  if (scale.empty()) return ConfigError(path, "experiment.scale", "must be SMOKE, CPU or PAPER");
  if (!absl::EndsWith(path, absl::StrCat(".", scale, ".pbtxt"))) {
    return ConfigError(path, "experiment.scale",
                       absl::StrCat("is ", scale, " but the file name says otherwise; name the file "
                                    "<table>.", scale, ".pbtxt or fix the scale"));
  }
  if (experiment.seeds().empty()) return ConfigError(path, "experiment.seeds", "needs at least one seed");
  std::set<uint64_t> seen(experiment.seeds().begin(), experiment.seeds().end());
  if (static_cast<int>(seen.size()) != experiment.seeds_size()) {
    return ConfigError(path, "experiment.seeds", "has a duplicate seed");
  }
  if (experiment.data().name() == DataSet::NAME_UNSPECIFIED) {
    return ConfigError(path, "experiment.data.name", "is not set");
  }
  if (experiment.data().max_train() < 0 || experiment.data().max_test() < 0) {
    return ConfigError(path, "experiment.data.max_train/max_test", "must be >= 0 (0 means all)");
  }
  return absl::OkStatus();
}

std::vector<uint64_t> StartReport(const Experiment& experiment, const TableRun& run,
                                  TableReport* report) {
  report->set_title(experiment.title());
  report->set_mirrors(experiment.mirrors());
  report->set_scale(ScaleName(experiment.scale()));
  std::string data = DataSet::Name_Name(experiment.data().name());
  if (experiment.data().max_train() > 0) absl::StrAppend(&data, ", train ≤ ", experiment.data().max_train());
  if (experiment.data().max_test() > 0) absl::StrAppend(&data, ", test ≤ ", experiment.data().max_test());
  report->set_data(data);
  for (const std::string& note : experiment.notes()) report->add_notes(note);
  const std::vector<uint64_t> seeds =
      run.Seeds({experiment.seeds().begin(), experiment.seeds().end()});
  report->clear_seeds();
  for (uint64_t seed : seeds) report->add_seeds(seed);
  return seeds;
}

std::string DataPath(const DataSet& data, const TableRun& run) {
  if (!data.path().empty()) return data.path();
  if (data.name() == DataSet::FASHION_MNIST) return run.fashion_mnist_dir;
  return absl::StrCat(run.data_dir, "/", absl::AsciiStrToLower(DataSet::Name_Name(data.name())));
}

}  // namespace repro
