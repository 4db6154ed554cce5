#include "backfill/gallery.h"

#include <algorithm>
#include <limits>
#include <sstream>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/retrieval/merge.h"

namespace repro::backfill {
namespace {

std::string ShapeString(const torch::Tensor& t) {
  if (!t.defined()) return "an undefined tensor";
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

}  // namespace

absl::StatusOr<BackfillGallery> BackfillGallery::Create(const torch::Tensor& ids,
                                                        const torch::Tensor& old_embeddings,
                                                        int64_t new_dim, Distance distance) {
  if (!old_embeddings.defined() || old_embeddings.dim() != 2 || old_embeddings.size(1) < 1) {
    return absl::InvalidArgumentError("backfill gallery: old embeddings must be [N, d_old]");
  }
  if (new_dim < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("backfill gallery: new embedding dimension must be >= 1, got ", new_dim));
  }
  EmbeddingIndex old_index(old_embeddings.size(1), distance);
  absl::Status added = old_index.Add(ids, old_embeddings);
  if (!added.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("backfill gallery: old embeddings: ", added.message()));
  }
  return BackfillGallery(std::move(old_index), EmbeddingIndex(new_dim, distance));
}

absl::Status BackfillGallery::Backfill(const torch::Tensor& ids,
                                       const torch::Tensor& new_embeddings) {
  if (!ids.defined() || ids.dim() != 1) {
    return absl::InvalidArgumentError("backfill step: ids must be a 1-D tensor");
  }
  if (!new_embeddings.defined() || new_embeddings.dim() != 2 ||
      new_embeddings.size(0) != ids.size(0) || new_embeddings.size(1) != new_index_.dim()) {
    return absl::InvalidArgumentError(absl::StrCat("backfill step: new embeddings must be [",
                                                   ids.size(0), ", ", new_index_.dim(), "], got ",
                                                   ShapeString(new_embeddings)));
  }
  const torch::Tensor id64 = ids.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t* p = id64.data_ptr<int64_t>();
  std::unordered_set<int64_t> seen;
  for (int64_t i = 0; i < id64.numel(); ++i) {
    if (new_index_.Contains(p[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("backfill step: item ", p[i], " is already backfilled"));
    }
    if (!old_index_.Contains(p[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("backfill step: item ", p[i], " is not in the gallery"));
    }
    if (!seen.insert(p[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("backfill step: item ", p[i], " is repeated"));
    }
  }
  // Add first: if the new embeddings are rejected (NaN), the old index is untouched.
  if (absl::Status s = new_index_.Add(id64, new_embeddings); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("backfill step: ", s.message()));
  }
  if (absl::Status s = old_index_.Remove(id64); !s.ok()) {
    return absl::InternalError(absl::StrCat("backfill step: ", s.message()));
  }
  return absl::OkStatus();
}

std::vector<RankedLists> BackfillGallery::SearchParts(const torch::Tensor& queries_for_old,
                                                      const torch::Tensor& queries_for_new,
                                                      int64_t k) const {
  std::vector<RankedLists> parts;
  if (old_index_.size() > 0) {
    parts.push_back(old_index_.Search(queries_for_old, std::min(k, old_index_.size())));
  }
  if (new_index_.size() > 0) {
    parts.push_back(new_index_.Search(queries_for_new, std::min(k, new_index_.size())));
  }
  return parts;
}

RankedLists BackfillGallery::Search(const torch::Tensor& queries_for_old,
                                    const torch::Tensor& queries_for_new, int64_t k) const {
  std::vector<RankedLists> parts = SearchParts(queries_for_old, queries_for_new, k);
  if (parts.empty()) {
    const torch::Tensor& q = queries_for_old.defined() ? queries_for_old : queries_for_new;
    const int64_t num_queries = q.defined() ? q.size(0) : 0;
    RankedLists empty;
    empty.distances = torch::full({num_queries, k}, std::numeric_limits<float>::infinity());
    empty.ids = torch::full({num_queries, k}, kNoId, torch::kInt64);
    return empty;
  }
  return MergeRankedLists(parts, k);
}

double BackfillGallery::progress() const {
  const int64_t n = size();
  return n == 0 ? 0.0 : static_cast<double>(new_index_.size()) / static_cast<double>(n);
}

}  // namespace repro::backfill
