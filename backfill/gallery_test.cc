// The two-index gallery against a brute-force reference: the merged top-k must equal the top-k of
// the whole gallery under the merged distance D_t, at every backfill state.
#include "backfill/gallery.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "common/retrieval/distance.h"
#include "gtest/gtest.h"

namespace repro::backfill {
namespace {

constexpr int64_t kItems = 300;
constexpr int64_t kQueries = 25;
constexpr int64_t kOldDim = 8;
constexpr int64_t kNewDim = 12;

struct Data {
  torch::Tensor ids, old_emb, new_emb, q_old, q_new;
};

Data MakeData() {
  torch::manual_seed(11);
  Data d;
  // Ids are not 0..N-1, so the gallery must carry them through.
  d.ids = torch::arange(kItems, torch::kInt64) * 3 + 7;
  d.old_emb = torch::randn({kItems, kOldDim});
  d.new_emb = torch::randn({kItems, kNewDim}) * 0.7;  // a different distance scale
  d.q_old = torch::randn({kQueries, kOldDim});
  d.q_new = torch::randn({kQueries, kNewDim});
  return d;
}

// Top-k ids of each query under D_t, by a full sort of the brute-force distance matrix.
torch::Tensor BruteForceTopK(const Data& d, const torch::Tensor& backfilled, int64_t k) {
  const torch::Tensor d_old = PairwiseDistances(d.q_old, d.old_emb, Distance::kSquaredL2);
  const torch::Tensor d_new = PairwiseDistances(d.q_new, d.new_emb, Distance::kSquaredL2);
  const torch::Tensor merged = torch::where(backfilled.unsqueeze(0), d_new, d_old);
  torch::Tensor out = torch::empty({kQueries, k}, torch::kInt64);
  for (int64_t q = 0; q < kQueries; ++q) {
    std::vector<int64_t> order(kItems);
    std::iota(order.begin(), order.end(), 0);
    auto row = merged[q];
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return row[a].item<float>() < row[b].item<float>();
    });
    for (int64_t j = 0; j < k; ++j) out[q][j] = d.ids[order[j]].item<int64_t>();
  }
  return out;
}

TEST(BackfillGalleryTest, MergedSearchEqualsBruteForceAtEveryStep) {
  const Data d = MakeData();
  auto gallery = BackfillGallery::Create(d.ids, d.old_emb, kNewDim, Distance::kSquaredL2);
  ASSERT_TRUE(gallery.ok()) << gallery.status();
  torch::Generator gen = at::detail::createCPUGenerator(5);
  const torch::Tensor order = torch::randperm(kItems, gen, torch::kInt64);
  torch::Tensor backfilled = torch::zeros({kItems}, torch::kBool);
  const int64_t k = 20;
  for (int step = 0; step <= 4; ++step) {
    if (step > 0) {
      const torch::Tensor rows = order.slice(0, (step - 1) * kItems / 4, step * kItems / 4);
      ASSERT_TRUE(gallery->Backfill(d.ids.index_select(0, rows), d.new_emb.index_select(0, rows))
                      .ok());
      backfilled.index_fill_(0, rows, true);
    }
    EXPECT_DOUBLE_EQ(gallery->progress(), step / 4.0);
    const RankedLists got = gallery->Search(d.q_old, d.q_new, k);
    EXPECT_TRUE(got.ids.equal(BruteForceTopK(d, backfilled, k))) << "step " << step;
    // Ascending distances.
    EXPECT_TRUE((got.distances.slice(1, 1) >= got.distances.slice(1, 0, k - 1)).all().item<bool>());
  }
  EXPECT_EQ(gallery->num_backfilled(), kItems);
}

TEST(BackfillGalleryTest, EndpointsAreTheSingleSpaceSearches) {
  const Data d = MakeData();
  auto gallery = BackfillGallery::Create(d.ids, d.old_emb, kNewDim, Distance::kSquaredL2);
  ASSERT_TRUE(gallery.ok());
  EmbeddingIndex old_only(kOldDim, Distance::kSquaredL2);
  ASSERT_TRUE(old_only.Add(d.ids, d.old_emb).ok());
  EmbeddingIndex new_only(kNewDim, Distance::kSquaredL2);
  ASSERT_TRUE(new_only.Add(d.ids, d.new_emb).ok());

  const RankedLists at0 = gallery->Search(d.q_old, d.q_new, 15);
  const RankedLists ref0 = old_only.Search(d.q_old, 15);
  EXPECT_TRUE(at0.ids.equal(ref0.ids));
  EXPECT_TRUE(at0.distances.equal(ref0.distances));

  ASSERT_TRUE(gallery->Backfill(d.ids, d.new_emb).ok());
  const RankedLists at1 = gallery->Search(d.q_old, d.q_new, 15);
  const RankedLists ref1 = new_only.Search(d.q_new, 15);
  EXPECT_TRUE(at1.ids.equal(ref1.ids));
  EXPECT_TRUE(at1.distances.equal(ref1.distances));
}

TEST(BackfillGalleryTest, PadsWhenKExceedsTheGallery) {
  const Data d = MakeData();
  auto gallery = BackfillGallery::Create(d.ids.slice(0, 0, 3), d.old_emb.slice(0, 0, 3), kNewDim,
                                         Distance::kSquaredL2);
  ASSERT_TRUE(gallery.ok());
  ASSERT_TRUE(gallery->Backfill(d.ids.slice(0, 0, 1), d.new_emb.slice(0, 0, 1)).ok());
  const RankedLists got = gallery->Search(d.q_old, d.q_new, 5);
  EXPECT_EQ(got.ids[0][3].item<int64_t>(), kNoId);
  EXPECT_TRUE(std::isinf(got.distances[0][4].item<float>()));
  EXPECT_NE(got.ids[0][2].item<int64_t>(), kNoId);
}

TEST(BackfillGalleryTest, RejectsBadSteps) {
  const Data d = MakeData();
  auto gallery = BackfillGallery::Create(d.ids, d.old_emb, kNewDim, Distance::kSquaredL2);
  ASSERT_TRUE(gallery.ok());
  // Not in the gallery.
  absl::Status s = gallery->Backfill(torch::tensor({1000000}, torch::kInt64),
                                     d.new_emb.slice(0, 0, 1));
  EXPECT_NE(std::string(s.message()).find("not in the gallery"), std::string::npos) << s;
  // Wrong width.
  s = gallery->Backfill(d.ids.slice(0, 0, 2), torch::randn({2, kOldDim}));
  EXPECT_NE(std::string(s.message()).find("new embeddings must be [2, 12]"), std::string::npos)
      << s;
  // Repeated id: nothing moves.
  s = gallery->Backfill(torch::stack({d.ids[0], d.ids[0]}), d.new_emb.slice(0, 0, 2));
  EXPECT_NE(std::string(s.message()).find("repeated"), std::string::npos) << s;
  EXPECT_EQ(gallery->num_backfilled(), 0);
  // Already backfilled.
  ASSERT_TRUE(gallery->Backfill(d.ids.slice(0, 0, 1), d.new_emb.slice(0, 0, 1)).ok());
  s = gallery->Backfill(d.ids.slice(0, 0, 1), d.new_emb.slice(0, 0, 1));
  EXPECT_NE(std::string(s.message()).find("already backfilled"), std::string::npos) << s;
  // Duplicate ids at creation.
  auto dup = BackfillGallery::Create(torch::tensor({1, 1}, torch::kInt64),
                                     torch::randn({2, kOldDim}), kNewDim, Distance::kSquaredL2);
  EXPECT_FALSE(dup.ok());
}

}  // namespace
}  // namespace repro::backfill
