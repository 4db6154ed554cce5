// The backfilling protocol on a small synthetic gallery: exact endpoints, mAP against an
// independent reference at intermediate steps, served CMC against the dense ranking, the ignore
// mask, and the bad inputs.
#include "backfill/protocol.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "backfill/schedule.h"
#include "common/retrieval/distance.h"
#include "gtest/gtest.h"

namespace repro::backfill {
namespace {

constexpr int64_t kItems = 90;
constexpr int64_t kClasses = 3;
constexpr int64_t kQueries = 15;

struct World {
  GalleryEmbeddings old_g, new_g;
  EvaluationSetup setup;
  QueryEmbeddings rm;  // rank merge: old query embedding for the old part, new for the new part
  torch::Tensor order;
};

World MakeWorld() {
  torch::manual_seed(21);
  World w;
  const torch::Tensor labels = torch::arange(kItems, torch::kInt64) % kClasses;
  // Class structure in both spaces, stronger in the new one.
  const torch::Tensor old_centers = torch::randn({kClasses, 4});
  const torch::Tensor new_centers = torch::randn({kClasses, 6}) * 2;
  const torch::Tensor ids = torch::arange(kItems, torch::kInt64) + 100;
  w.old_g = {ids, old_centers.index_select(0, labels) + torch::randn({kItems, 4})};
  w.new_g = {ids, new_centers.index_select(0, labels) + torch::randn({kItems, 6})};
  // Queries are the gallery items 0, 6, 12, ...; each leaves itself out.
  const torch::Tensor query_rows = torch::arange(kQueries, torch::kInt64) * 6;
  w.setup.query_labels = labels.index_select(0, query_rows);
  w.setup.gallery_ids = ids;
  w.setup.gallery_labels = labels;
  w.setup.query_self_ids = ids.index_select(0, query_rows);
  w.rm.for_old_part = w.old_g.embeddings.index_select(0, query_rows);
  w.rm.for_new_part = w.new_g.embeddings.index_select(0, query_rows);
  w.order = *MakeBackfillOrder(OrderPolicy::kRandom, ids, 3);
  return w;
}

// AP by its definition over the admissible items of one query (no ties with random floats).
double ReferenceAp(const std::vector<double>& dist, const std::vector<bool>& relevant,
                   const std::vector<bool>& admissible) {
  std::vector<int> order;
  for (int i = 0; i < static_cast<int>(dist.size()); ++i) {
    if (admissible[i]) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](int a, int b) { return dist[a] < dist[b]; });
  double sum = 0;
  int hits = 0;
  for (int r = 0; r < static_cast<int>(order.size()); ++r) {
    if (relevant[order[r]]) sum += static_cast<double>(++hits) / (r + 1);
  }
  return hits == 0 ? -1 : sum / hits;
}

// Reference mAP of the state where the first `moved` items of the order are backfilled.
double ReferenceMap(const World& w, int64_t moved, const torch::Tensor& ignore) {
  std::vector<bool> backfilled(kItems, false);
  for (int64_t i = 0; i < moved; ++i) backfilled[w.order[i].item<int64_t>() - 100] = true;
  double total = 0;
  int valid = 0;
  for (int64_t q = 0; q < kQueries; ++q) {
    std::vector<double> dist(kItems);
    std::vector<bool> relevant(kItems), admissible(kItems);
    for (int64_t g = 0; g < kItems; ++g) {
      const bool is_new = backfilled[g];
      const torch::Tensor a = is_new ? w.rm.for_new_part[q] : w.rm.for_old_part[q];
      const torch::Tensor b = is_new ? w.new_g.embeddings[g] : w.old_g.embeddings[g];
      dist[g] = (a.to(torch::kFloat64) - b.to(torch::kFloat64)).pow(2).sum().item<double>();
      relevant[g] = w.setup.gallery_labels[g].item<int64_t>() ==
                    w.setup.query_labels[q].item<int64_t>();
      admissible[g] = g + 100 != w.setup.query_self_ids[q].item<int64_t>() &&
                      !(ignore.defined() && ignore[q][g].item<bool>());
    }
    const double ap = ReferenceAp(dist, relevant, admissible);
    if (ap >= 0) {
      total += ap;
      ++valid;
    }
  }
  return total / valid;
}

TEST(ProtocolTest, RankMergeEndpointsEqualOldOldAndNewNewExactly) {
  const World w = MakeWorld();
  auto old_old = EvaluateSingleSpace(w.old_g, w.rm.for_old_part, w.setup, torch::Tensor());
  ASSERT_TRUE(old_old.ok()) << old_old.status();
  auto new_new = EvaluateSingleSpace(w.new_g, w.rm.for_new_part, w.setup, old_old->top1_correct);
  ASSERT_TRUE(new_new.ok()) << new_new.status();
  auto curve = RunOnlineBackfill(w.old_g, w.new_g, w.rm, w.order, 5, w.setup,
                                 old_old->top1_correct);
  ASSERT_TRUE(curve.ok()) << curve.status();
  ASSERT_EQ(curve->size(), 6u);
  const StepResult& first = curve->front();
  const StepResult& last = curve->back();
  EXPECT_EQ(first.progress, 0.0);
  EXPECT_EQ(last.progress, 1.0);
  EXPECT_EQ(first.map, old_old->map);
  EXPECT_EQ(first.cmc.at(1), old_old->cmc.at(1));
  EXPECT_EQ(first.cmc.at(5), old_old->cmc.at(5));
  EXPECT_TRUE(first.top1_correct.equal(old_old->top1_correct));
  EXPECT_EQ(first.negative_flip_rate, 0.0);
  EXPECT_EQ(last.map, new_new->map);
  EXPECT_EQ(last.cmc.at(1), new_new->cmc.at(1));
  EXPECT_TRUE(last.top1_correct.equal(new_new->top1_correct));
  EXPECT_EQ(last.negative_flip_rate, new_new->negative_flip_rate);
  // The new space is the better one here.
  EXPECT_GT(new_new->map, old_old->map);
}

TEST(ProtocolTest, MapAtEveryStepMatchesAnIndependentReference) {
  const World w = MakeWorld();
  auto curve = RunOnlineBackfill(w.old_g, w.new_g, w.rm, w.order, 5, w.setup, torch::Tensor());
  ASSERT_TRUE(curve.ok()) << curve.status();
  const std::vector<int64_t> bounds = StepBoundaries(kItems, 5);
  for (int s = 0; s <= 5; ++s) {
    EXPECT_NEAR((*curve)[s].map, ReferenceMap(w, bounds[s], torch::Tensor()), 1e-6) << "step " << s;
  }
}

TEST(ProtocolTest, IgnoreMaskLeavesItemsOutOfMapAndCmc) {
  World w = MakeWorld();
  // Each query ignores the first 10 gallery items.
  w.setup.ignore = torch::zeros({kQueries, kItems}, torch::kBool);
  w.setup.ignore.slice(1, 0, 10).fill_(true);
  auto curve = RunOnlineBackfill(w.old_g, w.new_g, w.rm, w.order, 3, w.setup, torch::Tensor());
  ASSERT_TRUE(curve.ok()) << curve.status();
  const std::vector<int64_t> bounds = StepBoundaries(kItems, 3);
  for (int s = 0; s <= 3; ++s) {
    EXPECT_NEAR((*curve)[s].map, ReferenceMap(w, bounds[s], w.setup.ignore), 1e-6);
  }
}

TEST(ProtocolTest, BadInputsGiveOneClearLine) {
  const World w = MakeWorld();
  auto run = [&](const GalleryEmbeddings& o, const GalleryEmbeddings& n, const QueryEmbeddings& q,
                 const torch::Tensor& order) {
    return RunOnlineBackfill(o, n, q, order, 4, w.setup, torch::Tensor()).status();
  };
  // Mismatched counts.
  GalleryEmbeddings short_new{w.new_g.ids.slice(0, 0, kItems - 1),
                              w.new_g.embeddings.slice(0, 0, kItems - 1)};
  absl::Status s = run(w.old_g, short_new, w.rm, w.order);
  EXPECT_NE(std::string(s.message()).find("differ in count: 90 old vs 89 new"), std::string::npos)
      << s;
  // Mismatched ids.
  GalleryEmbeddings other_ids{w.new_g.ids.clone(), w.new_g.embeddings};
  other_ids.ids[0] = 5000;
  s = run(w.old_g, other_ids, w.rm, w.order);
  EXPECT_NE(std::string(s.message()).find("differ in ids: id 100 is only in the old set"),
            std::string::npos)
      << s;
  // An order that is not a permutation.
  torch::Tensor bad_order = w.order.clone();
  bad_order[1] = bad_order[0];
  s = run(w.old_g, w.new_g, w.rm, bad_order);
  EXPECT_NE(std::string(s.message()).find("not a permutation"), std::string::npos) << s;
  // Query embeddings of the wrong width.
  QueryEmbeddings wrong = w.rm;
  wrong.for_new_part = w.rm.for_old_part;
  s = run(w.old_g, w.new_g, wrong, w.order);
  EXPECT_NE(std::string(s.message()).find("new part must be [15, 6]"), std::string::npos) << s;
}

}  // namespace
}  // namespace repro::backfill
