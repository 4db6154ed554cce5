#include "common/retrieval/embedding_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/IDSelector.h>

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace repro {
namespace {

using FaissId = faiss::Index::idx_t;
static_assert(sizeof(FaissId) == sizeof(int64_t), "FAISS ids must be int64");

// The ids as a contiguous int64 vector, or an error naming what is wrong.
absl::Status ToIds(const torch::Tensor& ids, const char* what, std::vector<int64_t>* out) {
  if (!ids.defined() || ids.dim() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ids must be a 1-D tensor"));
  }
  if (ids.is_floating_point() || ids.is_complex() || ids.scalar_type() == torch::kBool) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ids must be integers"));
  }
  torch::Tensor c = ids.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t* p = c.data_ptr<int64_t>();
  out->assign(p, p + c.numel());
  return absl::OkStatus();
}

}  // namespace

struct EmbeddingIndex::Faiss {
  Faiss(int64_t dim, Distance distance)
      : flat(distance == Distance::kSquaredL2
                 ? static_cast<faiss::IndexFlat*>(new faiss::IndexFlatL2(dim))
                 : static_cast<faiss::IndexFlat*>(new faiss::IndexFlatIP(dim))),
        map(flat.get()) {}
  std::unique_ptr<faiss::IndexFlat> flat;
  faiss::IndexIDMap2 map;  // does not own `flat`
};

EmbeddingIndex::EmbeddingIndex(int64_t dim, Distance distance)
    : dim_(dim), distance_(distance) {
  TORCH_CHECK(dim >= 1, "an embedding index needs dim >= 1, got ", dim);
  faiss_ = std::make_unique<Faiss>(dim, distance);
}

EmbeddingIndex::~EmbeddingIndex() = default;
EmbeddingIndex::EmbeddingIndex(EmbeddingIndex&&) noexcept = default;
EmbeddingIndex& EmbeddingIndex::operator=(EmbeddingIndex&&) noexcept = default;

int64_t EmbeddingIndex::size() const { return faiss_->map.ntotal; }

bool EmbeddingIndex::Contains(int64_t id) const { return faiss_->map.rev_map.count(id) > 0; }

absl::Status EmbeddingIndex::Add(const torch::Tensor& ids, const torch::Tensor& embeddings) {
  std::vector<int64_t> id_list;
  if (absl::Status s = ToIds(ids, "EmbeddingIndex::Add", &id_list); !s.ok()) return s;
  if (!embeddings.defined() || embeddings.dim() != 2 || !embeddings.is_floating_point()) {
    return absl::InvalidArgumentError(
        "EmbeddingIndex::Add: embeddings must be a floating-point [N, dim] tensor");
  }
  if (embeddings.size(0) != static_cast<int64_t>(id_list.size())) {
    return absl::InvalidArgumentError(absl::StrCat("EmbeddingIndex::Add: ", id_list.size(),
                                                   " ids for ", embeddings.size(0),
                                                   " embeddings"));
  }
  if (embeddings.size(1) != dim_) {
    return absl::InvalidArgumentError(
        absl::StrCat("EmbeddingIndex::Add: embeddings have ", embeddings.size(1),
                     " dimensions, the index holds ", dim_));
  }
  std::unordered_set<int64_t> batch;
  batch.reserve(id_list.size());
  for (int64_t id : id_list) {
    if (id < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("EmbeddingIndex::Add: negative id ", id, " (ids must be >= 0)"));
    }
    if (Contains(id) || !batch.insert(id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("EmbeddingIndex::Add: id ", id, " is already in the index"));
    }
  }
  torch::Tensor x = PrepareEmbeddings(embeddings, dim_, distance_);
  if (!torch::isfinite(x).all().item<bool>()) {
    return absl::InvalidArgumentError("EmbeddingIndex::Add: embeddings contain NaN or Inf");
  }
  faiss_->map.add_with_ids(x.size(0), x.data_ptr<float>(), id_list.data());
  return absl::OkStatus();
}

absl::Status EmbeddingIndex::Remove(const torch::Tensor& ids) {
  std::vector<int64_t> id_list;
  if (absl::Status s = ToIds(ids, "EmbeddingIndex::Remove", &id_list); !s.ok()) return s;
  std::unordered_set<int64_t> batch;
  batch.reserve(id_list.size());
  for (int64_t id : id_list) {
    if (!Contains(id)) {
      return absl::NotFoundError(
          absl::StrCat("EmbeddingIndex::Remove: id ", id, " is not in the index"));
    }
    if (!batch.insert(id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("EmbeddingIndex::Remove: id ", id, " is repeated"));
    }
  }
  if (id_list.empty()) return absl::OkStatus();
  faiss::IDSelectorBatch selector(id_list.size(), id_list.data());
  const size_t removed = faiss_->map.remove_ids(selector);
  if (removed != id_list.size()) {
    return absl::InternalError(absl::StrCat("EmbeddingIndex::Remove: FAISS removed ", removed,
                                            " items of ", id_list.size()));
  }
  return absl::OkStatus();
}

RankedLists EmbeddingIndex::Search(const torch::Tensor& queries, int64_t k) const {
  TORCH_CHECK(queries.dim() == 2 && queries.size(1) == dim_, "EmbeddingIndex::Search: queries must be [Q, ",
              dim_, "], got ", queries.sizes());
  TORCH_CHECK(k >= 0, "EmbeddingIndex::Search: k must be >= 0, got ", k);
  const int64_t num_queries = queries.size(0);
  RankedLists out;
  out.distances = torch::full({num_queries, k}, std::numeric_limits<float>::infinity());
  out.ids = torch::full({num_queries, k}, kNoId, torch::kInt64);
  const int64_t found = std::min(k, size());
  if (num_queries == 0 || found == 0) return out;

  torch::Tensor q = PrepareEmbeddings(queries, dim_, distance_);
  torch::Tensor scores = torch::empty({num_queries, found});
  torch::Tensor ids = torch::empty({num_queries, found}, torch::kInt64);
  faiss_->map.search(num_queries, q.data_ptr<float>(), found, scores.data_ptr<float>(),
                     reinterpret_cast<FaissId*>(ids.data_ptr<int64_t>()));
  // FAISS returns squared L2 (ascending) or inner products (descending); both become ascending
  // distances, the inner product as 1 - <q, g> (for kCosine on normalised vectors).
  if (distance_ != Distance::kSquaredL2) scores.neg_().add_(1);

  // Equal distances ordered by id, so that a ranking is a function of the distances alone.
  float* d = scores.data_ptr<float>();
  int64_t* id = ids.data_ptr<int64_t>();
  at::parallel_for(0, num_queries, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* dr = d + r * found;
      int64_t* ir = id + r * found;
      for (int64_t i = 0; i < found;) {
        int64_t j = i + 1;
        while (j < found && dr[j] == dr[i] && ir[j] != kNoId) ++j;
        if (j - i > 1) std::sort(ir + i, ir + j);
        i = j;
      }
    }
  });
  // A -1 from FAISS (fewer results than asked) keeps the +inf distance.
  torch::Tensor valid = ids.ne(kNoId);
  out.distances.narrow(1, 0, found).copy_(torch::where(valid, scores, out.distances.narrow(1, 0, found)));
  out.ids.narrow(1, 0, found).copy_(ids);
  return out;
}

}  // namespace repro
