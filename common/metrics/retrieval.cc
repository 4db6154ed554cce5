#include "common/metrics/retrieval.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "common/retrieval/embedding_index.h"

namespace repro {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// An unsigned key whose order is the order of the float (NaN excluded); -0 is folded onto +0, so
// equal floats have equal keys.
inline uint32_t OrderedKey(float f) {
  f += 0.0f;
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

inline bool IsNaN(float f) { return f != f; }

// Scratch for ranking one query row: keys (distances) with their gallery indices, sorted stably by
// an LSD radix sort (3 passes of 11 bits, passes whose digit is constant skipped). Stable, so equal
// distances stay in gallery-index order. About 7x faster than a comparison sort at 10^4 items.
class RowRanker {
 public:
  explicit RowRanker(int64_t capacity)
      : key_(capacity), key2_(capacity), idx_(capacity), idx2_(capacity) {}

  uint32_t* keys() { return key_.data(); }
  int32_t* indices() { return idx_.data(); }

  void Sort(int64_t n) {
    if (n < 2) return;
    constexpr int kBits = 11, kBuckets = 1 << kBits;
    uint32_t hist[3][kBuckets] = {};
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t k = key_[i];
      ++hist[0][k & (kBuckets - 1)];
      ++hist[1][(k >> kBits) & (kBuckets - 1)];
      ++hist[2][k >> (2 * kBits)];
    }
    for (int pass = 0; pass < 3; ++pass) {
      const int shift = pass * kBits;
      uint32_t* h = hist[pass];
      if (h[(key_[0] >> shift) & (kBuckets - 1)] == static_cast<uint32_t>(n)) continue;
      uint32_t sum = 0;
      for (int b = 0; b < kBuckets; ++b) {
        const uint32_t c = h[b];
        h[b] = sum;
        sum += c;
      }
      for (int64_t i = 0; i < n; ++i) {
        const uint32_t k = key_[i];
        const uint32_t at = h[(k >> shift) & (kBuckets - 1)]++;
        key2_[at] = k;
        idx2_[at] = idx_[i];
      }
      std::swap(key_, key2_);
      std::swap(idx_, idx2_);
    }
  }

 private:
  std::vector<uint32_t> key_, key2_;
  std::vector<int32_t> idx_, idx2_;
};

// AP and first-match rank of one query over a ranking sorted ascending by key. AP follows
// scikit-learn's average_precision_score: items with equal keys form one threshold, and
// AP = Σ_t (R_t - R_{t-1}) P_t = (1/npos) Σ_t tp_t · TP_t / N_t, with tp_t the relevant items at
// threshold t and TP_t, N_t the relevant and all items at distance <= t.
void ScoreSortedRow(const uint32_t* key, const int32_t* idx, int64_t n, const int64_t* labels,
                    int64_t query_label, double* ap, int64_t* first_match) {
  int64_t tp = 0, first = 0;
  double sum = 0;
  for (int64_t i = 0; i < n;) {
    const uint32_t k = key[i];
    int64_t j = i, tp_here = 0;
    for (; j < n && key[j] == k; ++j) {
      if (labels[idx[j]] == query_label) {
        ++tp_here;
        if (first == 0) first = j + 1;
      }
    }
    if (tp_here > 0) {
      tp += tp_here;
      sum += static_cast<double>(tp_here) * static_cast<double>(tp) / static_cast<double>(j);
    }
    i = j;
  }
  *ap = tp > 0 ? sum / static_cast<double>(tp) : kNaN;
  *first_match = first;
}

torch::Tensor Labels(const torch::Tensor& labels, int64_t n, const char* what) {
  TORCH_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == n, what,
              " must be a 1-D tensor of ", n, " labels, got ",
              labels.defined() ? labels.sizes() : c10::IntArrayRef{});
  TORCH_CHECK(!labels.is_floating_point() && !labels.is_complex(), what,
              " must be integer class labels, got ", labels.scalar_type());
  return labels.to(torch::kCPU, torch::kInt64).contiguous();
}

// Per query, the gallery index it leaves out of its ranking (-1: none).
std::vector<int64_t> Exclusions(const RetrievalOptions& options, int64_t num_queries,
                                int64_t gallery_size) {
  std::vector<int64_t> out(num_queries, -1);
  if (options.leave_one_out) {
    TORCH_CHECK(options.query_gallery_index.empty(),
                "set either leave_one_out or query_gallery_index, not both");
    TORCH_CHECK(num_queries == gallery_size, "leave_one_out needs the query set to be the gallery (",
                num_queries, " queries, ", gallery_size,
                " gallery items); use query_gallery_index for a subset");
    for (int64_t q = 0; q < num_queries; ++q) out[q] = q;
  } else if (!options.query_gallery_index.empty()) {
    TORCH_CHECK(static_cast<int64_t>(options.query_gallery_index.size()) == num_queries,
                "query_gallery_index has ", options.query_gallery_index.size(), " entries for ",
                num_queries, " queries");
    for (int64_t q = 0; q < num_queries; ++q) {
      const int64_t g = options.query_gallery_index[q];
      TORCH_CHECK(g >= -1 && g < gallery_size, "query_gallery_index[", q, "] = ", g,
                  " is outside the gallery of ", gallery_size, " items (-1 for none)");
      out[q] = g;
    }
  }
  return out;
}

int64_t ChunkRows(const RetrievalOptions& options, int64_t gallery_size) {
  if (options.query_chunk > 0) return options.query_chunk;
  return std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(gallery_size, 1));
}

// Everything a scoring pass needs, shared by the three entry points.
struct Scorer {
  int64_t gallery_size;
  const int64_t* query_labels;
  const int64_t* gallery_labels;
  const std::vector<int64_t>* exclude;
  std::vector<double> ap;
  std::vector<int64_t> first;

  Scorer(int64_t num_queries, int64_t gallery_size, const int64_t* query_labels,
         const int64_t* gallery_labels, const std::vector<int64_t>* exclude)
      : gallery_size(gallery_size),
        query_labels(query_labels),
        gallery_labels(gallery_labels),
        exclude(exclude),
        ap(num_queries, kNaN),
        first(num_queries, 0) {}

  // Scores queries [q0, q0 + rows) from their distance rows `distances` [rows, G] (contiguous).
  void ScoreDistanceRows(const float* distances, int64_t q0, int64_t rows) {
    std::atomic<bool> nan{false};
    at::parallel_for(0, rows, 4, [&](int64_t begin, int64_t end) {
      RowRanker ranker(gallery_size);
      for (int64_t r = begin; r < end; ++r) {
        const int64_t q = q0 + r;
        const float* d = distances + r * gallery_size;
        const int64_t skip = (*exclude)[q];
        uint32_t* key = ranker.keys();
        int32_t* idx = ranker.indices();
        int64_t n = 0;
        bool row_nan = false;
        for (int64_t g = 0; g < gallery_size; ++g) {
          if (g == skip) continue;
          row_nan |= IsNaN(d[g]);
          key[n] = OrderedKey(d[g]);
          idx[n] = static_cast<int32_t>(g);
          ++n;
        }
        if (row_nan) {
          nan = true;
          continue;
        }
        ranker.Sort(n);
        ScoreSortedRow(ranker.keys(), ranker.indices(), n, gallery_labels, query_labels[q],
                       &ap[q], &first[q]);
      }
    });
    TORCH_CHECK(!nan, "retrieval distances contain NaN (queries ", q0, "..", q0 + rows - 1, ")");
  }

  // Scores queries [q0, q0 + rows) from full ranked lists (k = G, ascending, ties by id).
  void ScoreRankedRows(const RankedLists& ranked, int64_t q0) {
    const int64_t rows = ranked.num_queries(), width = ranked.k();
    const float* dist = ranked.distances.data_ptr<float>();
    const int64_t* ids = ranked.ids.data_ptr<int64_t>();
    at::parallel_for(0, rows, 4, [&](int64_t begin, int64_t end) {
      RowRanker ranker(width);
      for (int64_t r = begin; r < end; ++r) {
        const int64_t q = q0 + r;
        const int64_t skip = (*exclude)[q];
        uint32_t* key = ranker.keys();
        int32_t* idx = ranker.indices();
        int64_t n = 0;
        for (int64_t j = 0; j < width; ++j) {
          const int64_t id = ids[r * width + j];
          if (id == skip || id == kNoId) continue;
          key[n] = OrderedKey(dist[r * width + j]);
          idx[n] = static_cast<int32_t>(id);
          ++n;
        }
        ScoreSortedRow(key, idx, n, gallery_labels, query_labels[q], &ap[q], &first[q]);
      }
    });
  }

  RetrievalResult Finish(const RetrievalOptions& options, int64_t dim) && {
    RetrievalResult result;
    result.num_queries = static_cast<int64_t>(ap.size());
    result.dim = dim;
    double sum = 0;
    std::vector<int64_t> hits(options.ks.size(), 0);
    for (size_t q = 0; q < ap.size(); ++q) {
      if (first[q] == 0) continue;
      ++result.num_valid_queries;
      sum += ap[q];
      for (size_t i = 0; i < options.ks.size(); ++i) hits[i] += first[q] <= options.ks[i];
    }
    const double valid = static_cast<double>(result.num_valid_queries);
    result.mean_ap = result.num_valid_queries > 0 ? sum / valid : kNaN;
    for (size_t i = 0; i < options.ks.size(); ++i) {
      result.cmc[options.ks[i]] = result.num_valid_queries > 0 ? hits[i] / valid : kNaN;
    }
    if (options.per_query) {
      result.per_query_ap = std::move(ap);
      result.first_match_rank = std::move(first);
    }
    return result;
  }
};

void CheckKs(const RetrievalOptions& options) {
  for (int64_t k : options.ks) TORCH_CHECK(k >= 1, "CMC ranks must be >= 1, got ", k);
}

}  // namespace

double RetrievalResult::Cmc(int64_t k) const {
  auto it = cmc.find(k);
  TORCH_CHECK(it != cmc.end(), "CMC top-", k,
              " was not computed; add it to RetrievalOptions::ks");
  return it->second;
}

RetrievalResult EvaluateDistanceMatrix(const torch::Tensor& distances,
                                       const torch::Tensor& query_labels,
                                       const torch::Tensor& gallery_labels,
                                       const RetrievalOptions& options) {
  CheckKs(options);
  TORCH_CHECK(distances.defined() && distances.dim() == 2, "distances must be [Q, G]");
  const int64_t num_queries = distances.size(0), gallery_size = distances.size(1);
  TORCH_CHECK(gallery_size < std::numeric_limits<int32_t>::max(), "gallery too large");
  torch::Tensor ql = Labels(query_labels, num_queries, "query_labels");
  torch::Tensor gl = Labels(gallery_labels, gallery_size, "gallery_labels");
  const std::vector<int64_t> exclude = Exclusions(options, num_queries, gallery_size);
  Scorer scorer(num_queries, gallery_size, ql.data_ptr<int64_t>(), gl.data_ptr<int64_t>(),
                &exclude);
  const int64_t chunk = ChunkRows(options, gallery_size);
  for (int64_t q0 = 0; q0 < num_queries; q0 += chunk) {
    const int64_t rows = std::min(chunk, num_queries - q0);
    torch::Tensor block =
        distances.narrow(0, q0, rows).to(torch::kCPU, torch::kFloat32).contiguous();
    scorer.ScoreDistanceRows(block.data_ptr<float>(), q0, rows);
  }
  return std::move(scorer).Finish(options, 0);
}

RetrievalResult EvaluateRetrieval(const torch::Tensor& queries, const torch::Tensor& query_labels,
                                  const torch::Tensor& gallery,
                                  const torch::Tensor& gallery_labels,
                                  const RetrievalOptions& options) {
  CheckKs(options);
  TORCH_CHECK(queries.defined() && queries.dim() == 2, "queries must be [Q, D]");
  TORCH_CHECK(gallery.defined() && gallery.dim() == 2, "gallery must be [G, D]");
  const int64_t num_queries = queries.size(0), gallery_size = gallery.size(0);
  TORCH_CHECK(gallery_size < std::numeric_limits<int32_t>::max(), "gallery too large");
  TORCH_CHECK(queries.size(1) == gallery.size(1) || options.truncate_to_common_prefix,
              "queries have ", queries.size(1), " dimensions and the gallery ", gallery.size(1),
              "; set truncate_to_common_prefix to compare their first ",
              std::min(queries.size(1), gallery.size(1)));
  const int64_t dim = std::min(queries.size(1), gallery.size(1));
  TORCH_CHECK(dim >= 1, "embeddings need at least one dimension");
  torch::Tensor ql = Labels(query_labels, num_queries, "query_labels");
  torch::Tensor gl = Labels(gallery_labels, gallery_size, "gallery_labels");
  const std::vector<int64_t> exclude = Exclusions(options, num_queries, gallery_size);
  Scorer scorer(num_queries, gallery_size, ql.data_ptr<int64_t>(), gl.data_ptr<int64_t>(),
                &exclude);
  const int64_t chunk = ChunkRows(options, gallery_size);

  if (options.backend == RetrievalBackend::kFaiss) {
    EmbeddingIndex index(dim, options.distance);
    absl::Status added =
        index.Add(torch::arange(gallery_size, torch::kInt64), gallery.narrow(1, 0, dim));
    TORCH_CHECK(added.ok(), added.ToString());
    for (int64_t q0 = 0; q0 < num_queries; q0 += chunk) {
      const int64_t rows = std::min(chunk, num_queries - q0);
      scorer.ScoreRankedRows(index.Search(queries.narrow(0, q0, rows).narrow(1, 0, dim),
                                          gallery_size),
                             q0);
    }
    return std::move(scorer).Finish(options, dim);
  }

  // Prepared once: truncated, float32, and for kCosine normalised, so that the distance of a block
  // is one matrix product (cosine of normalised vectors = 1 - inner product).
  torch::Tensor q = PrepareEmbeddings(queries, dim, options.distance);
  torch::Tensor g = PrepareEmbeddings(gallery, dim, options.distance);
  const Distance block_distance = options.distance == Distance::kCosine
                                      ? Distance::kOneMinusInnerProduct
                                      : options.distance;
  for (int64_t q0 = 0; q0 < num_queries; q0 += chunk) {
    const int64_t rows = std::min(chunk, num_queries - q0);
    torch::Tensor block = PairwiseDistances(q.narrow(0, q0, rows), g, block_distance).contiguous();
    scorer.ScoreDistanceRows(block.data_ptr<float>(), q0, rows);
  }
  return std::move(scorer).Finish(options, dim);
}

}  // namespace repro
