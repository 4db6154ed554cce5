#include "backfill/protocol.h"

#include <algorithm>
#include <limits>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backfill/schedule.h"
#include "common/metrics/negative_flip.h"
#include "common/metrics/retrieval.h"

namespace repro::backfill {
namespace {

std::string ShapeString(const torch::Tensor& t) {
  if (!t.defined()) return "undefined";
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

std::vector<int64_t> ToVector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kCPU, torch::kInt64).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

absl::Status CheckTable(const GalleryEmbeddings& g, const char* which) {
  if (!g.ids.defined() || g.ids.dim() != 1 || g.ids.is_floating_point()) {
    return absl::InvalidArgumentError(
        absl::StrCat(which, " gallery embeddings: ids must be a 1-D integer tensor, got ",
                     ShapeString(g.ids)));
  }
  if (!g.embeddings.defined() || g.embeddings.dim() != 2 ||
      g.embeddings.size(0) != g.ids.size(0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        which, " gallery embeddings: expected [", g.ids.size(0), ", d] embeddings for ",
        g.ids.size(0), " ids, got ", ShapeString(g.embeddings)));
  }
  return absl::OkStatus();
}

// id -> position in `ids`.
std::unordered_map<int64_t, int64_t> PositionOf(const torch::Tensor& ids) {
  const std::vector<int64_t> v = ToVector(ids);
  std::unordered_map<int64_t, int64_t> pos;
  pos.reserve(v.size());
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) pos.emplace(v[i], i);
  return pos;
}

// The rows of `g` in the order of `ids` (all present, checked by the caller).
torch::Tensor RowsInOrder(const GalleryEmbeddings& g, const std::vector<int64_t>& ids) {
  const std::unordered_map<int64_t, int64_t> pos = PositionOf(g.ids);
  std::vector<int64_t> rows(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) rows[i] = pos.at(ids[i]);
  return g.embeddings.index_select(0, torch::tensor(rows, torch::kInt64));
}

// Full-ranking mAP of D [Q, G] (columns in setup.gallery_ids order), plus per-query validity.
double MeanAveragePrecision(const torch::Tensor& distances, const EvaluationSetup& setup,
                            const std::vector<int64_t>& self_columns) {
  RetrievalOptions options;
  options.ks = {1};
  if (!setup.ignore.defined()) {
    options.query_gallery_index = self_columns;
    return EvaluateDistanceMatrix(distances, setup.query_labels, setup.gallery_labels, options)
        .mean_ap;
  }
  // With an ignore mask, each query is ranked against its own admissible part of the gallery.
  double total = 0;
  int64_t valid = 0;
  const torch::Tensor ignore = setup.ignore.to(torch::kCPU, torch::kBool);
  for (int64_t q = 0; q < distances.size(0); ++q) {
    torch::Tensor keep = ignore[q].logical_not();
    if (self_columns[q] >= 0) keep[self_columns[q]] = false;
    const torch::Tensor columns = keep.nonzero().squeeze(1);
    const RetrievalResult r = EvaluateDistanceMatrix(
        distances[q].index_select(0, columns).unsqueeze(0), setup.query_labels.slice(0, q, q + 1),
        setup.gallery_labels.index_select(0, columns), options);
    if (r.num_valid_queries == 1) {
      total += r.mean_ap;
      ++valid;
    }
  }
  return valid == 0 ? std::numeric_limits<double>::quiet_NaN() : total / valid;
}

}  // namespace

absl::Status CheckSameItems(const GalleryEmbeddings& old_gallery,
                            const GalleryEmbeddings& new_gallery) {
  if (absl::Status s = CheckTable(old_gallery, "old"); !s.ok()) return s;
  if (absl::Status s = CheckTable(new_gallery, "new"); !s.ok()) return s;
  const int64_t n_old = old_gallery.ids.size(0);
  const int64_t n_new = new_gallery.ids.size(0);
  if (n_old != n_new) {
    return absl::InvalidArgumentError(
        absl::StrCat("old and new gallery embeddings differ in count: ", n_old, " old vs ",
                     n_new, " new; both must cover the same gallery items"));
  }
  std::vector<int64_t> a = ToVector(old_gallery.ids);
  std::vector<int64_t> b = ToVector(new_gallery.ids);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] == a[i + 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("old gallery embeddings: id ", a[i], " appears more than once"));
    }
    if (b[i] == b[i + 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("new gallery embeddings: id ", b[i], " appears more than once"));
    }
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      const int64_t missing = std::min(a[i], b[i]);
      return absl::InvalidArgumentError(absl::StrCat(
          "old and new gallery embeddings differ in ids: id ", missing, " is only in the ",
          missing == a[i] ? "old" : "new", " set; both must cover the same gallery items"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEvaluationSetup(const EvaluationSetup& setup) {
  if (!setup.query_labels.defined() || setup.query_labels.dim() != 1) {
    return absl::InvalidArgumentError("evaluation: query labels must be [Q]");
  }
  const int64_t q = setup.query_labels.size(0);
  if (!setup.gallery_ids.defined() || setup.gallery_ids.dim() != 1 ||
      !setup.gallery_labels.defined() ||
      setup.gallery_labels.sizes() != setup.gallery_ids.sizes()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "evaluation: gallery ids and labels must both be [G], got ",
        ShapeString(setup.gallery_ids), " and ", ShapeString(setup.gallery_labels)));
  }
  if (!setup.query_self_ids.defined() || setup.query_self_ids.dim() != 1 ||
      setup.query_self_ids.size(0) != q) {
    return absl::InvalidArgumentError(absl::StrCat("evaluation: query self ids must be [", q,
                                                   "], got ", ShapeString(setup.query_self_ids)));
  }
  if (setup.ignore.defined() &&
      (setup.ignore.dim() != 2 || setup.ignore.size(0) != q ||
       setup.ignore.size(1) != setup.gallery_ids.size(0))) {
    return absl::InvalidArgumentError(absl::StrCat("evaluation: ignore mask must be [", q, ", ",
                                                   setup.gallery_ids.size(0), "], got ",
                                                   ShapeString(setup.ignore)));
  }
  if (setup.cmc_ks.empty()) return absl::InvalidArgumentError("evaluation: no CMC ranks");
  for (int64_t k : setup.cmc_ks) {
    if (k < 1) return absl::InvalidArgumentError("evaluation: CMC ranks must be >= 1");
  }
  const std::unordered_map<int64_t, int64_t> pos = PositionOf(setup.gallery_ids);
  for (int64_t id : ToVector(setup.query_self_ids)) {
    if (id >= 0 && !pos.count(id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("evaluation: query self id ", id, " is not a gallery item"));
    }
  }
  return absl::OkStatus();
}

StepResult EvaluateState(const BackfillGallery& gallery, const torch::Tensor& dense_distances,
                         const QueryEmbeddings& queries, const EvaluationSetup& setup,
                         const torch::Tensor& reference_top1) {
  const int64_t num_queries = setup.query_labels.size(0);
  const int64_t num_gallery = setup.gallery_ids.size(0);
  TORCH_CHECK(dense_distances.dim() == 2 && dense_distances.size(0) == num_queries &&
                  dense_distances.size(1) == num_gallery,
              "EvaluateState: dense distances must be [", num_queries, ", ", num_gallery,
              "], got ", dense_distances.sizes());
  const std::unordered_map<int64_t, int64_t> column = PositionOf(setup.gallery_ids);
  const std::vector<int64_t> self_ids = ToVector(setup.query_self_ids);
  std::vector<int64_t> self_columns(num_queries, -1);
  for (int64_t q = 0; q < num_queries; ++q) {
    if (self_ids[q] >= 0) self_columns[q] = column.at(self_ids[q]);
  }

  StepResult result;
  result.progress = gallery.progress();
  result.map = MeanAveragePrecision(dense_distances, setup, self_columns);

  // The served ranking: enough candidates that after leaving out the query's own item and the
  // ignored ones, max(ks) remain.
  const int64_t max_k = *std::max_element(setup.cmc_ks.begin(), setup.cmc_ks.end());
  int64_t excluded = 1;
  torch::Tensor ignore;
  if (setup.ignore.defined()) {
    ignore = setup.ignore.to(torch::kCPU, torch::kBool).contiguous();
    excluded += ignore.sum(1).max().item<int64_t>();
  }
  const int64_t k = std::min(num_gallery, max_k + excluded);
  const RankedLists served = gallery.Search(queries.for_old_part, queries.for_new_part, k);
  const torch::Tensor ids = served.ids.contiguous();
  const int64_t* id = ids.data_ptr<int64_t>();
  const torch::Tensor qlab = setup.query_labels.to(torch::kCPU, torch::kInt64).contiguous();
  const torch::Tensor glab = setup.gallery_labels.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t* ql = qlab.data_ptr<int64_t>();
  const int64_t* gl = glab.data_ptr<int64_t>();
  const bool* ig = ignore.defined() ? ignore.data_ptr<bool>() : nullptr;

  // Whether each query has any relevant admissible item (else it is left out of CMC, as in mAP).
  torch::Tensor relevant = qlab.unsqueeze(1) == glab.unsqueeze(0);
  if (ignore.defined()) relevant &= ignore.logical_not();
  for (int64_t q = 0; q < num_queries; ++q) {
    if (self_columns[q] >= 0) relevant[q][self_columns[q]] = false;
  }
  const torch::Tensor has_relevant = relevant.any(1);
  const bool* valid = has_relevant.data_ptr<bool>();

  result.top1_correct = torch::zeros({num_queries}, torch::kBool);
  bool* top1 = result.top1_correct.data_ptr<bool>();
  std::vector<int64_t> hits(setup.cmc_ks.size(), 0);
  int64_t num_valid = 0;
  for (int64_t q = 0; q < num_queries; ++q) {
    int64_t rank = 0;  // admissible items seen
    int64_t first_match = 0;
    for (int64_t j = 0; j < k && rank < max_k; ++j) {
      const int64_t g = id[q * k + j];
      if (g == kNoId) break;
      const int64_t c = column.at(g);
      if (c == self_columns[q] || (ig != nullptr && ig[q * num_gallery + c])) continue;
      ++rank;
      if (gl[c] == ql[q]) {
        first_match = rank;
        break;
      }
    }
    top1[q] = first_match == 1;
    if (!valid[q]) continue;
    ++num_valid;
    for (size_t i = 0; i < setup.cmc_ks.size(); ++i) {
      if (first_match >= 1 && first_match <= setup.cmc_ks[i]) ++hits[i];
    }
  }
  for (size_t i = 0; i < setup.cmc_ks.size(); ++i) {
    result.cmc[setup.cmc_ks[i]] =
        num_valid == 0 ? std::numeric_limits<double>::quiet_NaN()
                       : static_cast<double>(hits[i]) / static_cast<double>(num_valid);
  }
  if (reference_top1.defined()) {
    result.negative_flip_rate = NegativeFlipRate(reference_top1, result.top1_correct);
  }
  return result;
}

absl::StatusOr<std::vector<StepResult>> RunOnlineBackfill(const GalleryEmbeddings& old_gallery,
                                                          const GalleryEmbeddings& new_gallery,
                                                          const QueryEmbeddings& queries,
                                                          const torch::Tensor& order,
                                                          int num_steps,
                                                          const EvaluationSetup& setup,
                                                          const torch::Tensor& reference_top1) {
  if (absl::Status s = CheckSameItems(old_gallery, new_gallery); !s.ok()) return s;
  if (absl::Status s = CheckEvaluationSetup(setup); !s.ok()) return s;
  if (absl::Status s = CheckSameItems(old_gallery, {setup.gallery_ids, old_gallery.embeddings});
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the evaluation's gallery is not the embedded gallery: ", s.message()));
  }
  if (absl::Status s = CheckPermutation(order, old_gallery.ids); !s.ok()) return s;
  if (num_steps < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("the backfilling protocol needs at least one step, got ", num_steps));
  }
  const int64_t d_old = old_gallery.embeddings.size(1);
  const int64_t d_new = new_gallery.embeddings.size(1);
  const int64_t num_queries = setup.query_labels.size(0);
  if (!queries.for_old_part.defined() ||
      queries.for_old_part.sizes() != torch::IntArrayRef({num_queries, d_old})) {
    return absl::InvalidArgumentError(
        absl::StrCat("query embeddings for the old part must be [", num_queries, ", ", d_old,
                     "], got ", ShapeString(queries.for_old_part)));
  }
  if (!queries.for_new_part.defined() ||
      queries.for_new_part.sizes() != torch::IntArrayRef({num_queries, d_new})) {
    return absl::InvalidArgumentError(
        absl::StrCat("query embeddings for the new part must be [", num_queries, ", ", d_new,
                     "], got ", ShapeString(queries.for_new_part)));
  }

  const std::vector<int64_t> columns_ids = ToVector(setup.gallery_ids);
  const torch::Tensor old_aligned = RowsInOrder(old_gallery, columns_ids);
  const torch::Tensor new_aligned = RowsInOrder(new_gallery, columns_ids);
  const torch::Tensor d_old_matrix =
      PairwiseDistances(queries.for_old_part, old_aligned.to(torch::kFloat32), setup.distance);
  const torch::Tensor d_new_matrix =
      PairwiseDistances(queries.for_new_part, new_aligned.to(torch::kFloat32), setup.distance);

  absl::StatusOr<BackfillGallery> gallery =
      BackfillGallery::Create(old_gallery.ids, old_gallery.embeddings, d_new, setup.distance);
  if (!gallery.ok()) return gallery.status();

  const std::unordered_map<int64_t, int64_t> column = PositionOf(setup.gallery_ids);
  const std::unordered_map<int64_t, int64_t> new_row = PositionOf(new_gallery.ids);
  const std::vector<int64_t> order_ids = ToVector(order);
  const int64_t n = static_cast<int64_t>(order_ids.size());
  const std::vector<int64_t> bounds = StepBoundaries(n, num_steps);
  torch::Tensor backfilled = torch::zeros({n}, torch::kBool);

  std::vector<StepResult> results;
  for (int s = 0; s <= num_steps; ++s) {
    if (s > 0) {
      std::vector<int64_t> step_ids(order_ids.begin() + bounds[s - 1],
                                    order_ids.begin() + bounds[s]);
      std::vector<int64_t> rows(step_ids.size());
      for (size_t i = 0; i < step_ids.size(); ++i) {
        rows[i] = new_row.at(step_ids[i]);
        backfilled[column.at(step_ids[i])] = true;
      }
      absl::Status moved = gallery->Backfill(
          torch::tensor(step_ids, torch::kInt64),
          new_gallery.embeddings.index_select(0, torch::tensor(rows, torch::kInt64)));
      if (!moved.ok()) return moved;
    }
    const torch::Tensor merged = torch::where(backfilled.unsqueeze(0), d_new_matrix, d_old_matrix);
    results.push_back(EvaluateState(*gallery, merged, queries, setup, reference_top1));
  }
  return results;
}

absl::StatusOr<StepResult> EvaluateSingleSpace(const GalleryEmbeddings& gallery,
                                               const torch::Tensor& queries,
                                               const EvaluationSetup& setup,
                                               const torch::Tensor& reference_top1) {
  if (absl::Status s = CheckTable(gallery, "evaluated"); !s.ok()) return s;
  if (absl::Status s = CheckEvaluationSetup(setup); !s.ok()) return s;
  if (absl::Status s = CheckSameItems(gallery, {setup.gallery_ids, gallery.embeddings}); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the evaluation's gallery is not the embedded gallery: ", s.message()));
  }
  const int64_t d = gallery.embeddings.size(1);
  if (!queries.defined() ||
      queries.sizes() != torch::IntArrayRef({setup.query_labels.size(0), d})) {
    return absl::InvalidArgumentError(absl::StrCat("query embeddings must be [",
                                                   setup.query_labels.size(0), ", ", d,
                                                   "], got ", ShapeString(queries)));
  }
  absl::StatusOr<BackfillGallery> index =
      BackfillGallery::Create(gallery.ids, gallery.embeddings, d, setup.distance);
  if (!index.ok()) return index.status();
  const torch::Tensor aligned = RowsInOrder(gallery, ToVector(setup.gallery_ids));
  const torch::Tensor distances =
      PairwiseDistances(queries, aligned.to(torch::kFloat32), setup.distance);
  QueryEmbeddings q;
  q.for_old_part = queries;
  return EvaluateState(*index, distances, q, setup, reference_top1);
}

}  // namespace repro::backfill
