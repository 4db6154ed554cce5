// Checks and helpers for the shared Experiment part of every table config.
#ifndef EXPERIMENTS_EXPERIMENT_H_
#define EXPERIMENTS_EXPERIMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/results/registry.h"
#include "common/results/report.pb.h"
#include "experiments/experiment.pb.h"

namespace repro {

// Lowercase scale name ("smoke", "cpu", "paper"); "" for SCALE_UNSPECIFIED.
std::string ScaleName(Scale scale);

// Checks the shared part of a config read from `path`: a title, a scale that matches the file
// name (<table>.<scale>.pbtxt), at least one seed and no duplicate seeds, a data set, non-negative
// limits. Errors name the file and the field.
absl::Status ValidateExperiment(const Experiment& experiment, const std::string& path);

// Copies title, mirrors, scale, data and notes into the report, and the seeds the run uses
// (--seeds if given, else the config's), which it also returns.
std::vector<uint64_t> StartReport(const Experiment& experiment, const TableRun& run,
                                  TableReport* report);

// The folder of the data set: the config's path, else the flag-given default.
std::string DataPath(const DataSet& data, const TableRun& run);

}  // namespace repro

#endif  // EXPERIMENTS_EXPERIMENT_H_
