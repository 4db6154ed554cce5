#include "common/metrics/retrieval.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace repro {
namespace {

torch::Tensor Labels(std::vector<int64_t> v) { return torch::tensor(v, torch::kInt64); }
torch::Tensor Column(std::vector<float> v) {
  return torch::tensor(v).view({static_cast<int64_t>(v.size()), 1});
}

RetrievalOptions Options(Distance distance, std::vector<int64_t> ks = {1, 5}) {
  RetrievalOptions o;
  o.distance = distance;
  o.ks = std::move(ks);
  o.per_query = true;
  return o;
}

// One query [1] against 1-D gallery items with 1 - <q, g> = 1 - g: the ranking is by g,
// descending, and every distance is exact in float.
//
// gallery g:   0.5  0.125  0.875  0.25  0.625  0.75      query label 0
// label:        1     0      0     1      0     1
// ranked:  0.875(+) 0.75(-) 0.625(+) 0.5(-) 0.25(-) 0.125(+)   relevance 1 0 1 0 0 1
// AP = (1/1 + 2/3 + 3/6) / 3 = 13/18 = 0.72222...; scikit-learn:
//   average_precision_score([1,0,1,0,0,1], [6,5,4,3,2,1]) = 0.7222222222222222
TEST(RetrievalTest, HandCheckedNoTies) {
  torch::Tensor gallery = Column({0.5f, 0.125f, 0.875f, 0.25f, 0.625f, 0.75f});
  torch::Tensor gallery_labels = Labels({1, 0, 0, 1, 0, 1});
  for (RetrievalBackend backend : {RetrievalBackend::kExact, RetrievalBackend::kFaiss}) {
    RetrievalOptions o = Options(Distance::kOneMinusInnerProduct, {1, 2, 3});
    o.backend = backend;
    RetrievalResult r = EvaluateRetrieval(Column({1.0f}), Labels({0}), gallery, gallery_labels, o);
    EXPECT_NEAR(r.mean_ap, 13.0 / 18.0, 1e-12);
    EXPECT_EQ(r.first_match_rank, std::vector<int64_t>{1});
    EXPECT_EQ(r.Cmc(1), 1.0);
    EXPECT_EQ(r.num_valid_queries, 1);
    EXPECT_EQ(r.dim, 1);
  }
}

// Ties: scikit-learn treats equal scores as one threshold. Gallery (by index) and labels:
//
// g:      0.875  0.75  0.75  0.75  0.5  0.125         query label 0
// label:    1     0     0     1     0     1
// relevant: -     +     +     -     +     -
// Thresholds (descending score = ascending distance):
//   0.875: TP 0, N 1
//   0.75:  TP 2, N 4  -> precision 1/2 at recall 2/3
//   0.5:   TP 3, N 5  -> precision 3/5 at recall 1
// AP = 2/3 * 1/2 + 1/3 * 3/5 = 8/15 = 0.53333...; scikit-learn:
//   average_precision_score([0,1,1,0,1,0], [0.875,0.75,0.75,0.75,0.5,0.125]) = 0.5333333333333333
// (Ranking the tied items by index instead would give (1/2 + 2/3 + 3/5)/3 = 0.5889.)
// First match: index 1 at rank 2 (ties ranked by gallery index).
TEST(RetrievalTest, HandCheckedTiesCountAsOneThreshold) {
  torch::Tensor gallery = Column({0.875f, 0.75f, 0.75f, 0.75f, 0.5f, 0.125f});
  torch::Tensor gallery_labels = Labels({1, 0, 0, 1, 0, 1});
  for (RetrievalBackend backend : {RetrievalBackend::kExact, RetrievalBackend::kFaiss}) {
    RetrievalOptions o = Options(Distance::kOneMinusInnerProduct, {1, 2});
    o.backend = backend;
    RetrievalResult r = EvaluateRetrieval(Column({1.0f}), Labels({0}), gallery, gallery_labels, o);
    EXPECT_NEAR(r.mean_ap, 8.0 / 15.0, 1e-12);
    EXPECT_EQ(r.first_match_rank, std::vector<int64_t>{2});
    EXPECT_EQ(r.Cmc(1), 0.0);
    EXPECT_EQ(r.Cmc(2), 1.0);
  }
}

// Leave-one-out over five items on a line, squared L2, labels 0 0 1 0 1:
//
// x:      0  1  3  6  10
// q0 (x=0,l0): others at 1(l0) 9(l1) 36(l0) 100(l1): rel 1 0 1 0 -> AP (1 + 2/3)/2 = 5/6,   rank 1
// q1 (x=1,l0): 1(l0) 4(l1) 25(l0) 81(l1):            rel 1 0 1 0 -> AP 5/6,               rank 1
// q2 (x=3,l1): 4(l0) 9(l0) 9(l0) 49(l1):             rel 0 0 0 1 -> AP 1/4,               rank 4
// q3 (x=6,l0): 9(l1) 16(l1) 25(l0) 36(l0):           rel 0 0 1 1 -> AP (1/3 + 2/4)/2 = 5/12, rank 3
// q4 (x=10,l1): 16(l0) 49(l1) 81(l0) 100(l0):        rel 0 1 0 0 -> AP 1/2,               rank 2
// mAP = (5/6 + 5/6 + 1/4 + 5/12 + 1/2) / 5 = 17/30 = 0.56667; CMC@1 2/5, @2 3/5, @3 4/5, @4 1.
TEST(RetrievalTest, HandCheckedLeaveOneOut) {
  torch::Tensor x = Column({0, 1, 3, 6, 10});
  torch::Tensor labels = Labels({0, 0, 1, 0, 1});
  for (RetrievalBackend backend : {RetrievalBackend::kExact, RetrievalBackend::kFaiss}) {
    RetrievalOptions o = Options(Distance::kSquaredL2, {1, 2, 3, 4});
    o.backend = backend;
    o.leave_one_out = true;
    RetrievalResult r = EvaluateRetrieval(x, labels, x, labels, o);
    EXPECT_NEAR(r.mean_ap, 17.0 / 30.0, 1e-12);
    const std::vector<double> want_ap = {5.0 / 6, 5.0 / 6, 1.0 / 4, 5.0 / 12, 1.0 / 2};
    for (int q = 0; q < 5; ++q) EXPECT_NEAR(r.per_query_ap[q], want_ap[q], 1e-12) << q;
    EXPECT_EQ(r.first_match_rank, (std::vector<int64_t>{1, 1, 4, 3, 2}));
    EXPECT_DOUBLE_EQ(r.Cmc(1), 0.4);
    EXPECT_DOUBLE_EQ(r.Cmc(2), 0.6);
    EXPECT_DOUBLE_EQ(r.Cmc(3), 0.8);
    EXPECT_DOUBLE_EQ(r.Cmc(4), 1.0);

    // Without leave-one-out each query finds itself first: q0 ranks itself(+) x1(+) x2 x3(+) x4,
    // AP (1 + 1 + 3/4)/3 = 11/12.
    o.leave_one_out = false;
    RetrievalResult self = EvaluateRetrieval(x, labels, x, labels, o);
    EXPECT_NEAR(self.per_query_ap[0], 11.0 / 12.0, 1e-12);
    EXPECT_DOUBLE_EQ(self.Cmc(1), 1.0);

    // A subset of the gallery as queries (items 2 and 4), each left out of its own ranking.
    o.query_gallery_index = {2, 4};
    RetrievalResult sub = EvaluateRetrieval(x.index_select(0, Labels({2, 4})), Labels({1, 1}), x,
                                            labels, o);
    EXPECT_NEAR(sub.mean_ap, (1.0 / 4 + 1.0 / 2) / 2, 1e-12);
    EXPECT_EQ(sub.first_match_rank, (std::vector<int64_t>{4, 2}));
  }
}

TEST(RetrievalTest, QueriesWithoutRelevantItemsAreSkipped) {
  torch::Tensor gallery = Column({0.5f, 0.25f});
  RetrievalOptions o = Options(Distance::kOneMinusInnerProduct, {1});
  // Query 1 has label 7, which no gallery item has.
  RetrievalResult r =
      EvaluateRetrieval(Column({1.0f, 1.0f}), Labels({0, 7}), gallery, Labels({1, 0}), o);
  EXPECT_EQ(r.num_queries, 2);
  EXPECT_EQ(r.num_valid_queries, 1);
  EXPECT_NEAR(r.mean_ap, 0.5, 1e-12);  // relevant item at rank 2
  EXPECT_EQ(r.Cmc(1), 0.0);
  EXPECT_TRUE(std::isnan(r.per_query_ap[1]));
  EXPECT_EQ(r.first_match_rank[1], 0);
  // No valid query at all: NaN, not a made-up number.
  EXPECT_TRUE(std::isnan(
      EvaluateRetrieval(Column({1.0f}), Labels({7}), gallery, Labels({1, 0}), o).mean_ap));
}

// scikit-learn's average_precision_score as its documentation defines it, written independently
// of the library (O(n^2)): precision and recall at every distinct score threshold, descending,
// AP = Σ (R_t - R_{t-1}) P_t.
double SklearnAveragePrecision(const std::vector<int>& relevant, const std::vector<double>& score) {
  std::set<double, std::greater<double>> thresholds(score.begin(), score.end());
  const int npos = std::accumulate(relevant.begin(), relevant.end(), 0);
  if (npos == 0) return std::nan("");
  double ap = 0, previous_recall = 0;
  for (double t : thresholds) {
    int tp = 0, n = 0;
    for (size_t i = 0; i < score.size(); ++i) {
      if (score[i] >= t) {
        ++n;
        tp += relevant[i];
      }
    }
    const double recall = static_cast<double>(tp) / npos;
    ap += (recall - previous_recall) * static_cast<double>(tp) / n;
    previous_recall = recall;
  }
  return ap;
}

// Small-integer embeddings, so that distances are exact (and heavily tied) in float32 on every
// path: both backends must match the independent scikit-learn-style reference exactly, ties and
// leave-one-out included.
TEST(RetrievalTest, MatchesReferenceWithManyTies) {
  torch::manual_seed(5);
  const int64_t n = 60, dim = 3;
  torch::Tensor x = torch::randint(-2, 3, {n, dim}).to(torch::kFloat32);
  torch::Tensor labels = torch::randint(0, 4, {n}, torch::kInt64);
  for (Distance distance : {Distance::kSquaredL2, Distance::kOneMinusInnerProduct}) {
    std::vector<double> want_ap(n);
    std::vector<int64_t> want_rank(n);
    for (int64_t q = 0; q < n; ++q) {
      std::vector<int> rel;
      std::vector<double> score;
      std::vector<std::pair<double, int64_t>> order;
      for (int64_t g = 0; g < n; ++g) {
        if (g == q) continue;
        double ip = 0, l2 = 0;
        for (int64_t c = 0; c < dim; ++c) {
          ip += x[q][c].item<double>() * x[g][c].item<double>();
          l2 += std::pow(x[q][c].item<double>() - x[g][c].item<double>(), 2);
        }
        const double d = distance == Distance::kSquaredL2 ? l2 : 1 - ip;
        rel.push_back(labels[g].item<int64_t>() == labels[q].item<int64_t>());
        score.push_back(-d);
        order.push_back({d, g});
      }
      want_ap[q] = SklearnAveragePrecision(rel, score);
      std::sort(order.begin(), order.end());
      want_rank[q] = 0;
      for (size_t i = 0; i < order.size(); ++i) {
        if (labels[order[i].second].item<int64_t>() == labels[q].item<int64_t>()) {
          want_rank[q] = static_cast<int64_t>(i) + 1;
          break;
        }
      }
    }
    for (RetrievalBackend backend : {RetrievalBackend::kExact, RetrievalBackend::kFaiss}) {
      RetrievalOptions o = Options(distance, {1, 5});
      o.leave_one_out = true;
      o.backend = backend;
      o.query_chunk = 7;
      RetrievalResult r = EvaluateRetrieval(x, labels, x, labels, o);
      for (int64_t q = 0; q < n; ++q) {
        if (std::isnan(want_ap[q])) {
          EXPECT_TRUE(std::isnan(r.per_query_ap[q]));
        } else {
          EXPECT_NEAR(r.per_query_ap[q], want_ap[q], 1e-12) << DistanceName(distance) << " " << q;
        }
      }
      EXPECT_EQ(r.first_match_rank, want_rank) << DistanceName(distance);
    }
  }
}

// Exact path and FAISS path on random float data. Their float32 distances differ in the last
// bits (different summation orders), which can swap two nearly tied items, so the agreement is
// to a tolerance here; the integer test above holds them to exact equality.
TEST(RetrievalTest, ExactAndFaissAgreeOnRandomData) {
  torch::manual_seed(7);
  const int64_t n = 400, dim = 32;
  torch::Tensor x = torch::nn::functional::normalize(torch::randn({n, dim}) +
                                                     torch::randn({10, dim}).repeat({40, 1}));
  torch::Tensor labels = torch::arange(10, torch::kInt64).repeat({40});
  for (Distance distance :
       {Distance::kOneMinusInnerProduct, Distance::kSquaredL2, Distance::kCosine}) {
    RetrievalOptions o = Options(distance, {1, 5, 10});
    o.leave_one_out = true;
    RetrievalResult exact = EvaluateRetrieval(x, labels, x, labels, o);
    o.backend = RetrievalBackend::kFaiss;
    RetrievalResult faiss = EvaluateRetrieval(x, labels, x, labels, o);
    EXPECT_GT(exact.mean_ap, 0.2);  // the clusters make the task non-trivial, not hopeless
    EXPECT_LT(exact.mean_ap, 0.999);
    EXPECT_NEAR(exact.mean_ap, faiss.mean_ap, 1e-5) << DistanceName(distance);
    for (int64_t k : {1, 5, 10}) EXPECT_NEAR(exact.Cmc(k), faiss.Cmc(k), 2.0 / n);
    for (int64_t q = 0; q < n; ++q) EXPECT_NEAR(exact.per_query_ap[q], faiss.per_query_ap[q], 1e-3);
  }
}

TEST(RetrievalTest, DistanceMatrixAndChunkingGiveTheSameResult) {
  torch::manual_seed(8);
  torch::Tensor q = torch::randn({37, 8}), g = torch::randn({50, 8});
  torch::Tensor ql = torch::randint(0, 3, {37}, torch::kInt64);
  torch::Tensor gl = torch::randint(0, 3, {50}, torch::kInt64);
  RetrievalOptions o = Options(Distance::kSquaredL2, {1, 3});
  RetrievalResult whole = EvaluateRetrieval(q, ql, g, gl, o);
  for (int64_t chunk : {1, 5, 36, 100}) {
    o.query_chunk = chunk;
    RetrievalResult r = EvaluateRetrieval(q, ql, g, gl, o);
    EXPECT_EQ(r.per_query_ap, whole.per_query_ap);
    EXPECT_EQ(r.cmc, whole.cmc);
  }
  RetrievalResult from_matrix =
      EvaluateDistanceMatrix(PairwiseDistances(q, g, Distance::kSquaredL2), ql, gl, o);
  EXPECT_EQ(from_matrix.per_query_ap, whole.per_query_ap);
  EXPECT_EQ(from_matrix.first_match_rank, whole.first_match_rank);
  // +inf distances rank last instead of failing.
  torch::Tensor d = torch::tensor({0.5f, INFINITY, 0.25f}).view({1, 3});
  RetrievalResult inf = EvaluateDistanceMatrix(d, Labels({0}), Labels({1, 0, 1}), o);
  EXPECT_EQ(inf.first_match_rank, std::vector<int64_t>{3});
  EXPECT_NEAR(inf.mean_ap, 1.0 / 3, 1e-12);
}

// BT²'s new/old case: new queries (more dimensions) against the old gallery, compared on the
// common prefix with no re-normalisation.
TEST(RetrievalTest, PrefixTruncation) {
  torch::manual_seed(9);
  torch::Tensor q = torch::randn({20, 6}), g = torch::randn({30, 4});
  torch::Tensor ql = torch::randint(0, 3, {20}, torch::kInt64);
  torch::Tensor gl = torch::randint(0, 3, {30}, torch::kInt64);
  RetrievalOptions o = Options(Distance::kOneMinusInnerProduct);
  EXPECT_THROW(EvaluateRetrieval(q, ql, g, gl, o), c10::Error);
  o.truncate_to_common_prefix = true;
  RetrievalResult truncated = EvaluateRetrieval(q, ql, g, gl, o);
  RetrievalResult manual = EvaluateRetrieval(q.narrow(1, 0, 4), ql, g, gl, o);
  EXPECT_EQ(truncated.dim, 4);
  EXPECT_EQ(truncated.per_query_ap, manual.per_query_ap);
  // Gallery longer than queries works the same way.
  EXPECT_EQ(EvaluateRetrieval(g, gl, q, ql, o).dim, 4);

  // No re-normalisation after truncation: the prefix [1, 0] of the query has inner product 2
  // with [2, 2] and 1 with [1, 0], so [2, 2] ranks first under 1 - <q, g>, while cosine would
  // rank [1, 0] first.
  torch::Tensor query = torch::tensor({1.0f, 0.0f, 5.0f}).view({1, 3});
  torch::Tensor gallery = torch::tensor({2.0f, 2.0f, 1.0f, 0.0f}).view({2, 2});
  RetrievalResult ip = EvaluateRetrieval(query, Labels({0}), gallery, Labels({0, 1}), o);
  EXPECT_EQ(ip.first_match_rank, std::vector<int64_t>{1});
  o.distance = Distance::kCosine;
  RetrievalResult cosine = EvaluateRetrieval(query, Labels({0}), gallery, Labels({0, 1}), o);
  EXPECT_EQ(cosine.first_match_rank, std::vector<int64_t>{2});
}

TEST(RetrievalTest, BadInputThrowsWithAClearMessage) {
  torch::Tensor x = torch::randn({4, 2});
  torch::Tensor labels = Labels({0, 1, 0, 1});
  RetrievalOptions o = Options(Distance::kSquaredL2);
  EXPECT_THROW(EvaluateRetrieval(x, Labels({0, 1}), x, labels, o), c10::Error);
  EXPECT_THROW(EvaluateRetrieval(x, labels.to(torch::kFloat32), x, labels, o), c10::Error);
  o.leave_one_out = true;
  EXPECT_THROW(EvaluateRetrieval(x.narrow(0, 0, 3), labels.narrow(0, 0, 3), x, labels, o),
               c10::Error);
  o.query_gallery_index = {0, 1, 2, 3};
  EXPECT_THROW(EvaluateRetrieval(x, labels, x, labels, o), c10::Error);  // both set
  o.leave_one_out = false;
  o.query_gallery_index = {0, 1, 2, 4};
  EXPECT_THROW(EvaluateRetrieval(x, labels, x, labels, o), c10::Error);  // out of range
  o.query_gallery_index.clear();
  o.ks = {0};
  EXPECT_THROW(EvaluateRetrieval(x, labels, x, labels, o), c10::Error);
  o.ks = {1};
  try {
    EvaluateRetrieval(x, labels, x, labels, o).Cmc(5);
    ADD_FAILURE() << "Cmc(5) was not computed and must throw";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("add it to RetrievalOptions::ks"), std::string::npos);
  }
  torch::Tensor d = torch::tensor({0.5f, NAN}).view({1, 2});
  EXPECT_THROW(EvaluateDistanceMatrix(d, Labels({0}), Labels({0, 1}), o), c10::Error);
}

}  // namespace
}  // namespace repro
