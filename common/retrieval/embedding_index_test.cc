#include "common/retrieval/embedding_index.h"

#include <limits>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace repro {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// For every query row, the (distance, id) pairs of all gallery items, sorted: the brute-force
// reference computed by torch, independent of FAISS.
std::vector<std::vector<std::pair<float, int64_t>>> BruteForce(const torch::Tensor& queries,
                                                               const torch::Tensor& gallery,
                                                               const std::vector<int64_t>& ids,
                                                               Distance distance) {
  torch::Tensor d = PairwiseDistances(queries, gallery, distance);
  std::vector<std::vector<std::pair<float, int64_t>>> out(queries.size(0));
  for (int64_t q = 0; q < queries.size(0); ++q) {
    for (int64_t g = 0; g < gallery.size(0); ++g) out[q].push_back({d[q][g].item<float>(), ids[g]});
    std::sort(out[q].begin(), out[q].end());
  }
  return out;
}

std::vector<int64_t> Range(int64_t begin, int64_t end) {
  std::vector<int64_t> v;
  for (int64_t i = begin; i < end; ++i) v.push_back(i);
  return v;
}

torch::Tensor Ids(const std::vector<int64_t>& v) { return torch::tensor(v, torch::kInt64); }

// Small-integer embeddings: every distance is exact in float32, both in FAISS and in torch, so the
// search must agree with the reference bit for bit (ties included, except which tied items make
// the k-th cut).
TEST(EmbeddingIndexTest, ExactOnIntegerEmbeddings) {
  torch::manual_seed(1);
  const int64_t n = 300, dim = 6, k = 17;
  for (Distance distance : {Distance::kSquaredL2, Distance::kOneMinusInnerProduct}) {
    torch::Tensor gallery = torch::randint(-3, 4, {n, dim}).to(torch::kFloat32);
    torch::Tensor queries = torch::randint(-3, 4, {25, dim}).to(torch::kFloat32);
    std::vector<int64_t> ids = Range(1000, 1000 + n);
    EmbeddingIndex index(dim, distance);
    ASSERT_TRUE(index.Add(Ids(ids), gallery).ok());
    EXPECT_EQ(index.size(), n);
    RankedLists got = index.Search(queries, k);
    ASSERT_EQ(got.distances.sizes(), (std::vector<int64_t>{25, k}));
    auto ref = BruteForce(queries, gallery, ids, distance);
    for (int64_t q = 0; q < 25; ++q) {
      const float kth = ref[q][k - 1].first;
      std::set<int64_t> seen;
      for (int64_t j = 0; j < k; ++j) {
        const float d = got.distances[q][j].item<float>();
        const int64_t id = got.ids[q][j].item<int64_t>();
        EXPECT_EQ(d, ref[q][j].first) << DistanceName(distance) << " q=" << q << " j=" << j;
        if (d < kth) {
          EXPECT_EQ(id, ref[q][j].second);
        }
        EXPECT_TRUE(seen.insert(id).second);
        if (j > 0) {
          const float prev = got.distances[q][j - 1].item<float>();
          EXPECT_TRUE(prev < d || (prev == d && got.ids[q][j - 1].item<int64_t>() < id));
        }
      }
    }
  }
}

TEST(EmbeddingIndexTest, AgreesWithBruteForceOnRandomData) {
  torch::manual_seed(2);
  const int64_t n = 500, dim = 16, k = 20;
  for (Distance distance :
       {Distance::kSquaredL2, Distance::kOneMinusInnerProduct, Distance::kCosine}) {
    torch::Tensor gallery = torch::randn({n, dim});
    torch::Tensor queries = torch::randn({30, dim});  // >= 20: FAISS's BLAS path
    std::vector<int64_t> ids = Range(0, n);
    EmbeddingIndex index(dim, distance);
    ASSERT_TRUE(index.Add(Ids(ids), gallery).ok());
    for (int64_t nq : {int64_t{3}, int64_t{30}}) {  // 3 < 20: FAISS's direct path
      RankedLists got = index.Search(queries.narrow(0, 0, nq), k);
      torch::Tensor true_d = PairwiseDistances(queries.narrow(0, 0, nq), gallery, distance);
      auto ref = BruteForce(queries.narrow(0, 0, nq), gallery, ids, distance);
      for (int64_t q = 0; q < nq; ++q) {
        for (int64_t j = 0; j < k; ++j) {
          const int64_t id = got.ids[q][j].item<int64_t>();
          // The j-th result is at the j-th smallest distance and reports its own distance.
          EXPECT_NEAR(true_d[q][id].item<float>(), ref[q][j].first, 1e-4);
          EXPECT_NEAR(got.distances[q][j].item<float>(), ref[q][j].first, 1e-4);
        }
      }
    }
  }
}

TEST(EmbeddingIndexTest, RemovedItemsAreNeverReturned) {
  torch::manual_seed(3);
  EmbeddingIndex index(4, Distance::kSquaredL2);
  torch::Tensor x = torch::randn({50, 4});
  ASSERT_TRUE(index.Add(Ids(Range(0, 50)), x).ok());
  ASSERT_TRUE(index.Remove(Ids({3, 10, 49, 0})).ok());
  EXPECT_EQ(index.size(), 46);
  EXPECT_FALSE(index.Contains(10));
  EXPECT_TRUE(index.Contains(11));
  // Each removed item is its own query: it must not come back, and its nearest remaining
  // neighbours must.
  torch::Tensor queries = x.index_select(0, Ids({3, 10, 49, 0}));
  RankedLists got = index.Search(queries, 46);
  std::set<int64_t> all(got.ids.data_ptr<int64_t>(), got.ids.data_ptr<int64_t>() + got.ids.numel());
  for (int64_t removed : {3, 10, 49, 0}) EXPECT_EQ(all.count(removed), 0u);
  EXPECT_EQ(all.size(), 46u);
  // Items can be added back (the backfill moves items between indexes).
  ASSERT_TRUE(index.Add(Ids({10}), x.narrow(0, 10, 1)).ok());
  EXPECT_EQ(index.Search(x.narrow(0, 10, 1), 1).ids[0][0].item<int64_t>(), 10);
}

TEST(EmbeddingIndexTest, TiesAreOrderedByIdAndShortListsArePadded) {
  EmbeddingIndex index(2, Distance::kOneMinusInnerProduct);
  torch::Tensor same = torch::tensor({0.5f, 0.5f}).view({1, 2}).repeat({3, 1});
  ASSERT_TRUE(index.Add(Ids({9, 3, 5}), same).ok());
  ASSERT_TRUE(index.Add(Ids({7}), torch::tensor({1.0f, 0.0f}).view({1, 2})).ok());
  RankedLists got = index.Search(torch::tensor({1.0f, 0.0f}).view({1, 2}), 6);
  // 1 - <q, g>: id 7 at 0, then 3, 5, 9 tied at 0.5, then padding.
  EXPECT_TRUE(torch::equal(got.ids, Ids({7, 3, 5, 9, -1, -1}).view({1, 6})));
  EXPECT_TRUE(torch::equal(got.distances,
                           torch::tensor({0.0f, 0.5f, 0.5f, 0.5f, kInf, kInf}).view({1, 6})));
  // An empty index pads everything.
  EmbeddingIndex empty(2, Distance::kSquaredL2);
  EXPECT_TRUE(torch::equal(empty.Search(torch::zeros({2, 2}), 2).ids, torch::full({2, 2}, -1, torch::kInt64)));
}

TEST(EmbeddingIndexTest, BadInputIsRejectedAndChangesNothing) {
  EmbeddingIndex index(3, Distance::kSquaredL2);
  ASSERT_TRUE(index.Add(Ids({1, 2}), torch::zeros({2, 3})).ok());
  absl::Status s = index.Add(Ids({4, 2}), torch::zeros({2, 3}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("id 2 is already in the index"), std::string::npos) << s;
  EXPECT_FALSE(index.Add(Ids({5, 5}), torch::zeros({2, 3})).ok());
  EXPECT_FALSE(index.Add(Ids({-1}), torch::zeros({1, 3})).ok());
  s = index.Add(Ids({6}), torch::zeros({1, 4}));
  EXPECT_NE(s.message().find("4 dimensions, the index holds 3"), std::string::npos) << s;
  EXPECT_FALSE(index.Add(Ids({6, 7}), torch::zeros({1, 3})).ok());
  EXPECT_FALSE(index.Add(Ids({6}), torch::full({1, 3}, std::nanf(""))).ok());
  EXPECT_EQ(index.size(), 2);
  EXPECT_FALSE(index.Contains(4));
  s = index.Remove(Ids({1, 8}));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("id 8 is not in the index"), std::string::npos) << s;
  EXPECT_FALSE(index.Remove(Ids({1, 1})).ok());
  EXPECT_EQ(index.size(), 2);
  EXPECT_TRUE(index.Contains(1));
  EXPECT_THROW(index.Search(torch::zeros({1, 2}), 1), c10::Error);
}

}  // namespace
}  // namespace repro
