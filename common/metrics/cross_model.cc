#include "common/metrics/cross_model.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"

namespace repro {
namespace {

absl::Status CheckModel(const ModelEmbeddings& m) {
  if (m.name.empty()) return absl::InvalidArgumentError("cross-model evaluation: a model has no name");
  for (const auto& [what, t] : {std::pair<const char*, const torch::Tensor*>{"queries", &m.queries},
                                {"gallery", &m.gallery}}) {
    if (!t->defined() || t->dim() != 2 || !t->is_floating_point() || t->size(1) < 1) {
      return absl::InvalidArgumentError(absl::StrCat("cross-model evaluation: model '", m.name,
                                                     "' ", what,
                                                     " must be a floating-point [N, D] tensor"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLabels(const torch::Tensor& labels, int64_t n, const char* what,
                         const std::string& model) {
  if (!labels.defined() || labels.dim() != 1 || labels.is_floating_point()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cross-model evaluation: ", what, " must be a 1-D integer tensor"));
  }
  if (labels.size(0) != n) {
    return absl::InvalidArgumentError(absl::StrCat("cross-model evaluation: ", labels.size(0), " ",
                                                   what, " for the ", n, " rows of model '", model,
                                                   "'"));
  }
  return absl::OkStatus();
}

}  // namespace

const CrossModelCell* CrossModelMatrix::At(const std::string& query_model,
                                           const std::string& gallery_model) const {
  for (const CrossModelCell& c : cells) {
    if (c.query_model == query_model && c.gallery_model == gallery_model) return &c;
  }
  return nullptr;
}

absl::StatusOr<RetrievalResult> EvaluateCrossModelPair(const ModelEmbeddings& query_model,
                                                       const ModelEmbeddings& gallery_model,
                                                       const torch::Tensor& query_labels,
                                                       const torch::Tensor& gallery_labels,
                                                       const CrossModelOptions& options) {
  if (absl::Status s = CheckModel(query_model); !s.ok()) return s;
  if (absl::Status s = CheckModel(gallery_model); !s.ok()) return s;
  if (absl::Status s = CheckLabels(query_labels, query_model.queries.size(0), "query labels",
                                   query_model.name);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckLabels(gallery_labels, gallery_model.gallery.size(0),
                                   "gallery labels", gallery_model.name);
      !s.ok()) {
    return s;
  }
  const int64_t dq = query_model.queries.size(1), dg = gallery_model.gallery.size(1);
  if (dq != dg && options.dimensions == DimensionPolicy::kRequireEqual) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cross-model evaluation: query model '", query_model.name, "' has ", dq,
        " dimensions and gallery model '", gallery_model.name, "' ", dg,
        "; DimensionPolicy::kRequireEqual forbids comparing them (use kTruncateToCommonPrefix "
        "to compare the first ",
        std::min(dq, dg), ")"));
  }
  RetrievalOptions retrieval = options.retrieval;
  retrieval.truncate_to_common_prefix =
      options.dimensions == DimensionPolicy::kTruncateToCommonPrefix;
  try {
    return EvaluateRetrieval(query_model.queries, query_labels, gallery_model.gallery,
                             gallery_labels, retrieval);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("cross-model evaluation of '", query_model.name,
                                                   "' queries against '", gallery_model.name,
                                                   "' gallery: ", e.what_without_backtrace()));
  }
}

absl::StatusOr<CrossModelMatrix> EvaluateCrossModel(const std::vector<ModelEmbeddings>& models,
                                                    const torch::Tensor& query_labels,
                                                    const torch::Tensor& gallery_labels,
                                                    const CrossModelOptions& options) {
  if (models.empty()) return absl::InvalidArgumentError("cross-model evaluation: no models");
  std::set<std::string> names;
  for (const ModelEmbeddings& m : models) {
    if (absl::Status s = CheckModel(m); !s.ok()) return s;
    if (!names.insert(m.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("cross-model evaluation: two models are named '", m.name, "'"));
    }
    if (m.queries.size(0) != models[0].queries.size(0) ||
        m.gallery.size(0) != models[0].gallery.size(0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cross-model evaluation: model '", m.name, "' embeds ", m.queries.size(0),
          " queries and ", m.gallery.size(0), " gallery items, model '", models[0].name, "' ",
          models[0].queries.size(0), " and ", models[0].gallery.size(0),
          "; every model must embed the same items"));
    }
  }
  auto find = [&](const std::string& name) -> const ModelEmbeddings* {
    for (const ModelEmbeddings& m : models) {
      if (m.name == name) return &m;
    }
    return nullptr;
  };
  std::vector<std::pair<std::string, std::string>> pairs = options.pairs;
  if (pairs.empty()) {
    for (const ModelEmbeddings& q : models) {
      for (const ModelEmbeddings& g : models) pairs.push_back({q.name, g.name});
    }
  }
  CrossModelMatrix matrix;
  for (const auto& [q_name, g_name] : pairs) {
    const ModelEmbeddings* q = find(q_name);
    const ModelEmbeddings* g = find(g_name);
    if (q == nullptr || g == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("cross-model evaluation: pair (", q_name,
                                                     ", ", g_name, ") names an unknown model"));
    }
    absl::StatusOr<RetrievalResult> r =
        EvaluateCrossModelPair(*q, *g, query_labels, gallery_labels, options);
    if (!r.ok()) return r.status();
    matrix.cells.push_back({q_name, g_name, *std::move(r)});
  }
  return matrix;
}

}  // namespace repro
