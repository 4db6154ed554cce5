#include "bt2/compat_matrix.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bt2/model_zoo.h"
#include "bt2/table_config.h"
#include "bt2/trainer.h"
#include "common/port/status_macros.h"
#include "common/train/checkpoint.h"

namespace repro::bt2 {

absl::Status CheckCompatibilityRequest(const CompatibilityRequest& request) {
  const ModelSpec* specs[2] = {FindModel(request.config, request.old_model),
                               FindModel(request.config, request.new_model)};
  const std::string* names[2] = {&request.old_model, &request.new_model};
  const std::string* checkpoints[2] = {&request.old_checkpoint, &request.new_checkpoint};
  const char* roles[2] = {"old", "new"};
  for (int i = 0; i < 2; ++i) {
    if (specs[i] == nullptr) {
      std::string known;
      for (const ModelSpec& spec : request.config.models()) {
        absl::StrAppend(&known, known.empty() ? "" : ", ", spec.name());
      }
      return absl::InvalidArgumentError(absl::StrCat("--", roles[i], "_model: '", *names[i],
                                                     "' is not a model of ", request.config_path,
                                                     " (models: ", known, ")"));
    }
    if (!CheckpointExists(*checkpoints[i])) {
      return absl::NotFoundError(absl::StrCat(roles[i], "-model checkpoint not found at '",
                                              *checkpoints[i], "'; pass --", roles[i],
                                              "_checkpoint=<file> (a model the tables trained is in "
                                              "the cache folder named in their notes)"));
    }
  }
  const int64_t old_dim = EmbeddingDim(*specs[0]);
  const int64_t new_dim = EmbeddingDim(*specs[1]);
  if (new_dim < old_dim) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "incompatible dimensions: the new (query) model '%s' has %d-d embeddings but the old "
        "(gallery) model '%s' has %d; new/old compares the new model's first %d dimensions",
        request.new_model, new_dim, request.old_model, old_dim, old_dim));
  }
  if (!specs[1]->old_model().empty()) {
    const ModelSpec* trained_against = FindModel(request.config, specs[1]->old_model());
    const int64_t expected = trained_against != nullptr ? EmbeddingDim(*trained_against) : 0;
    if (expected != old_dim) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "incompatible dimensions: the new model '%s' was trained compatible with a %d-d old model "
          "('%s'), but the gallery model '%s' has %d-d embeddings",
          request.new_model, expected, specs[1]->old_model(), request.old_model, old_dim));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CompatibilityMatrix> ComputeCompatibilityMatrix(const CompatibilityRequest& request,
                                                               const Bt2Data& data) {
  RETURN_IF_ERROR(CheckCompatibilityRequest(request));
  CompatibilityMatrix matrix;
  torch::Tensor embeddings[2];
  const std::string* checkpoints[2] = {&request.old_checkpoint, &request.new_checkpoint};
  const std::string* names[2] = {&request.old_model, &request.new_model};
  for (int i = 0; i < 2; ++i) {
    const ModelSpec& spec = *FindModel(request.config, *names[i]);
    const ModelSpec* old = spec.old_model().empty() ? nullptr : FindModel(request.config, spec.old_model());
    std::shared_ptr<EmbeddingModel> model =
        MakeModel(spec, old != nullptr ? EmbeddingDim(*old) : 0, data.input, data.num_classes);
    RETURN_IF_ERROR(LoadModelCheckpoint(*checkpoints[i], spec, request.config_path, *model));
    embeddings[i] = EmbedImages(*model, data.test.images);
    matrix.names[i] = *names[i];
    matrix.dims[i] = model->embedding_dim();
  }
  const torch::Tensor queries = FixedQueries(data.test.labels, request.queries_per_class);
  for (int q = 0; q < 2; ++q) {
    for (int g = 0; g < 2; ++g) {
      ASSIGN_OR_RETURN(matrix.cells[q][g],
                       MeasureCase(matrix.names[q], embeddings[q], matrix.names[g], embeddings[g],
                                   data.test.labels, queries));
    }
  }
  return matrix;
}

std::string FormatCompatibilityMatrix(const CompatibilityMatrix& m) {
  std::string out = absl::StrFormat("%-24s", "query \\ gallery");
  for (int g = 0; g < 2; ++g) {
    out += absl::StrFormat("%-30s", absl::StrCat(m.names[g], " (", m.dims[g], "-d)"));
  }
  out += "\n";
  for (int q = 0; q < 2; ++q) {
    out += absl::StrFormat("%-24s", m.names[q]);
    for (int g = 0; g < 2; ++g) {
      const CaseResult& c = m.cells[q][g];
      out += absl::StrFormat("%-30s", absl::StrFormat("%.2f / %.2f (%d dims)", c.top1, c.map, c.dim));
    }
    out += "\n";
  }
  out += "cells: Top-1 / mAP in %, leave-one-out on the test set, first min(dims) dimensions\n";
  return out;
}

}  // namespace repro::bt2
