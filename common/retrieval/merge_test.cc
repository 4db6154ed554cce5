#include "common/retrieval/merge.h"

#include <algorithm>
#include <limits>
#include <set>
#include <vector>

#include "common/retrieval/distance.h"
#include "common/retrieval/embedding_index.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

RankedLists Lists(std::vector<float> d, std::vector<int64_t> ids, int64_t rows) {
  const int64_t k = static_cast<int64_t>(ids.size()) / rows;
  return {torch::tensor(d).view({rows, k}), torch::tensor(ids, torch::kInt64).view({rows, k})};
}

TEST(MergeRankedListsTest, HandCase) {
  // Query 0: old part {4: 0.1, 8: 0.5, 2: 0.7}, new part {5: 0.3, 1: 0.5, pad}.
  // Query 1: old part all padding, new part {6: 2, 0: 3, 9: 3}.
  RankedLists old_part = Lists({0.1f, 0.5f, 0.7f, kInf, kInf, kInf}, {4, 8, 2, -1, -1, -1}, 2);
  RankedLists new_part = Lists({0.3f, 0.5f, kInf, 2, 3, 3}, {5, 1, -1, 6, 0, 9}, 2);
  RankedLists m = MergeRankedLists({old_part, new_part}, 4);
  // The tie at 0.5 goes to the smaller id (1 before 8).
  EXPECT_TRUE(torch::equal(m.ids, torch::tensor({4, 5, 1, 8, 6, 0, 9, -1}, torch::kInt64).view({2, 4})));
  EXPECT_TRUE(torch::equal(
      m.distances, torch::tensor({0.1f, 0.3f, 0.5f, 0.5f, 2.0f, 3.0f, 3.0f, kInf}).view({2, 4})));
  // k = 0 and a single list.
  EXPECT_EQ(MergeRankedLists({old_part, new_part}, 0).k(), 0);
  EXPECT_TRUE(torch::equal(MergeRankedLists({new_part}, 3).ids, new_part.ids));
}

TEST(MergeRankedListsTest, RejectsMismatchedQueryCounts) {
  RankedLists a = Lists({0.1f, 0.2f}, {1, 2}, 2);
  RankedLists b = Lists({0.1f, 0.2f}, {3, 4}, 1);
  EXPECT_THROW(MergeRankedLists({a, b}, 2), c10::Error);
  EXPECT_THROW(MergeRankedLists({}, 2), c10::Error);
}

// A backfilling step: the gallery is split into items still under the old model (old space, 8-d)
// and items already backfilled (new space, 12-d). Searching both FAISS indexes for k and merging
// must give the top-k of the whole gallery under the merged distance D_t, computed here by brute
// force with torch. Small-integer embeddings make every distance exact on both sides, so the
// comparison is exact (bit for bit), ties included up to which tied items make the k-th cut.
void CheckAgainstBruteForce(Distance distance, uint64_t seed) {
  torch::manual_seed(seed);
  const int64_t n = 400, num_queries = 30, k = 25;
  torch::Tensor old_gallery = torch::randint(-3, 4, {n, 8}).to(torch::kFloat32);
  torch::Tensor new_gallery = torch::randint(-3, 4, {n, 12}).to(torch::kFloat32);
  torch::Tensor old_queries = torch::randint(-3, 4, {num_queries, 8}).to(torch::kFloat32);
  torch::Tensor new_queries = torch::randint(-3, 4, {num_queries, 12}).to(torch::kFloat32);
  torch::Tensor backfilled = torch::rand({n}) < 0.4;  // G^n_t, about 40% of the gallery

  EmbeddingIndex old_index(8, distance), new_index(12, distance);
  torch::Tensor ids = torch::arange(n, torch::kInt64);
  torch::Tensor in_new = ids.masked_select(backfilled), in_old = ids.masked_select(~backfilled);
  ASSERT_TRUE(old_index.Add(in_old, old_gallery.index_select(0, in_old)).ok());
  ASSERT_TRUE(new_index.Add(in_new, new_gallery.index_select(0, in_new)).ok());
  RankedLists merged = MergeRankedLists(
      {old_index.Search(old_queries, k), new_index.Search(new_queries, k)}, k);

  torch::Tensor merged_d =
      torch::where(backfilled.unsqueeze(0), PairwiseDistances(new_queries, new_gallery, distance),
                   PairwiseDistances(old_queries, old_gallery, distance));
  for (int64_t q = 0; q < num_queries; ++q) {
    std::vector<std::pair<float, int64_t>> ref;
    for (int64_t g = 0; g < n; ++g) ref.push_back({merged_d[q][g].item<float>(), g});
    std::sort(ref.begin(), ref.end());
    const float kth = ref[k - 1].first;
    std::set<int64_t> seen;
    for (int64_t j = 0; j < k; ++j) {
      const float d = merged.distances[q][j].item<float>();
      const int64_t id = merged.ids[q][j].item<int64_t>();
      ASSERT_EQ(d, ref[j].first) << "q=" << q << " j=" << j;
      ASSERT_EQ(merged_d[q][id].item<float>(), d) << "q=" << q << " j=" << j;
      if (d < kth) {
        ASSERT_EQ(id, ref[j].second) << "q=" << q << " j=" << j;
      }
      ASSERT_TRUE(seen.insert(id).second);
    }
  }
}

TEST(MergeRankedListsTest, EqualsBruteForceOverTheUnionSquaredL2) {
  CheckAgainstBruteForce(Distance::kSquaredL2, 11);
}

TEST(MergeRankedListsTest, EqualsBruteForceOverTheUnionInnerProduct) {
  CheckAgainstBruteForce(Distance::kOneMinusInnerProduct, 12);
}

TEST(MergeRankedListsTest, ThreeListsAndShortLists) {
  // n lists of different widths; fewer items than k in all pads the end.
  RankedLists a = Lists({1, 4}, {10, 40}, 1);
  RankedLists b = Lists({2}, {20}, 1);
  RankedLists c = Lists({0, 3, kInf}, {5, 30, -1}, 1);
  RankedLists m = MergeRankedLists({a, b, c}, 7);
  EXPECT_TRUE(torch::equal(m.ids, torch::tensor({5, 10, 20, 30, 40, -1, -1}, torch::kInt64).view({1, 7})));
  EXPECT_TRUE(torch::equal(m.distances, torch::tensor({0.0f, 1.0f, 2.0f, 3.0f, 4.0f, kInf, kInf}).view({1, 7})));
}

}  // namespace
}  // namespace repro
