// Tests of the soft top-k op against independent double-precision references: the mask solves
// Σ c m = k (bisection on μ), is monotone in the scores, tends to the hard top-k as β → ∞ and to the
// uniform density as β → 0; the implicit backward matches central finite differences; the hard
// top-k keeps exactly the budgeted entries (checked against std::sort).
#include "common/kernels/soft_topk.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace repro {
namespace {

std::vector<float> ToVector(const torch::Tensor& t) {
  torch::Tensor c = t.detach().contiguous().to(torch::kFloat);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

torch::Tensor FromVector(const std::vector<double>& x) {
  std::vector<float> f(x.begin(), x.end());
  return torch::tensor(f);
}

double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// Reference soft top-k in double precision: m_i = sigmoid(β v_i / c_i + μ), μ by bisection on
// Σ c_i m_i = k.
std::vector<double> ReferenceMask(const std::vector<double>& v, const std::vector<double>& c,
                                  double k, double beta) {
  double lo = -1e4, hi = 1e4;
  auto cost = [&](double mu) {
    double s = 0.0;
    for (size_t i = 0; i < v.size(); ++i) s += c[i] * Sigmoid(beta * v[i] / c[i] + mu);
    return s;
  };
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    (cost(mid) < k ? lo : hi) = mid;
  }
  const double mu = 0.5 * (lo + hi);
  std::vector<double> m(v.size());
  for (size_t i = 0; i < v.size(); ++i) m[i] = Sigmoid(beta * v[i] / c[i] + mu);
  return m;
}

std::vector<double> RandomValues(int n, uint32_t seed, double lo = 0.0, double hi = 1.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = dist(gen);
  return v;
}

SoftTopKOptions Tight(double beta) {
  SoftTopKOptions o;
  o.beta = beta;
  o.max_iters = 100000;
  o.tol = 0.0;  // run to the iteration cap or until the objective stops changing
  return o;
}

TEST(SoftTopKTest, UnitCostMaskSumsToBudget) {
  const std::vector<double> v = RandomValues(5000, 1);
  const double k = 500.0;
  SoftTopKOptions o = Tight(20.0);
  o.max_iters = 2000;
  SoftTopKStats stats;
  const torch::Tensor m = SoftTopK(FromVector(v), {}, k, o, &stats);
  EXPECT_NEAR(m.sum().item<double>(), k, 1e-3 * k);
  EXPECT_NEAR(stats.mask_cost, m.sum().item<double>(), 1e-2);
  // Against the bisection reference, entry by entry.
  const std::vector<double> ref = ReferenceMask(v, std::vector<double>(v.size(), 1.0), k, 20.0);
  const std::vector<float> got = ToVector(m);
  for (size_t i = 0; i < v.size(); ++i) ASSERT_NEAR(got[i], ref[i], 2e-4) << i;
}

TEST(SoftTopKTest, DefaultToleranceIsClose) {
  // The spec's defaults (tol 0.01, at most 100 iterations) stop early; the sum is still near k.
  const std::vector<double> v = RandomValues(20000, 2);
  SoftTopKOptions o;
  o.beta = 50.0;
  SoftTopKStats stats;
  const torch::Tensor m = SoftTopK(FromVector(v), {}, 2000.0, o, &stats);
  EXPECT_TRUE(stats.converged);
  EXPECT_LE(stats.iterations, 100);
  EXPECT_NEAR(m.sum().item<double>(), 2000.0, 0.1 * 2000.0);
}

TEST(SoftTopKTest, GeneralCostsMatchReference) {
  std::mt19937 gen(3);
  const std::vector<double> v = RandomValues(3000, 4);
  std::vector<double> c(v.size());
  const double choices[3] = {1.0, 4.0, 9.0};
  for (double& x : c) x = choices[gen() % 3];
  std::vector<double> scaled(v.size());
  for (size_t i = 0; i < v.size(); ++i) scaled[i] = v[i] * c[i];  // values, u = v
  const double total = std::accumulate(c.begin(), c.end(), 0.0);
  const double k = 0.2 * total;
  SoftTopKOptions o = Tight(15.0);
  o.max_iters = 5000;
  const torch::Tensor m = SoftTopK(FromVector(scaled), FromVector(c), k, o);
  const std::vector<float> got = ToVector(m);
  double cost = 0.0;
  for (size_t i = 0; i < got.size(); ++i) cost += c[i] * got[i];
  EXPECT_NEAR(cost, k, 1e-3 * k);
  const std::vector<double> ref = ReferenceMask(scaled, c, k, 15.0);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], ref[i], 2e-4) << i;
}

TEST(SoftTopKTest, MonotoneInScores) {
  const std::vector<double> v = RandomValues(40000, 5, -2.0, 3.0);  // several chunks, negatives
  SoftTopKOptions o;
  o.beta = 4.0;
  const std::vector<float> m = ToVector(SoftTopK(FromVector(v), {}, 7000.0, o));
  std::vector<int> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return v[a] < v[b]; });
  for (size_t i = 1; i < order.size(); ++i) {
    ASSERT_LE(m[order[i - 1]], m[order[i]]) << v[order[i - 1]] << " vs " << v[order[i]];
  }
}

TEST(SoftTopKTest, LargeBetaApproachesHardTopK) {
  const std::vector<double> v = RandomValues(1000, 6);
  const double k = 100.0;
  const torch::Tensor hard = HardTopKMask(FromVector(v), {}, k);
  double previous_gap = 1e9;
  for (double beta : {10.0, 100.0, 1000.0, 100000.0}) {
    SoftTopKOptions o = Tight(beta);
    o.max_iters = 20000;
    const torch::Tensor m = SoftTopK(FromVector(v), {}, k, o);
    const double gap = (m - hard).abs().sum().item<double>();
    EXPECT_LT(gap, previous_gap) << "beta " << beta;
    previous_gap = gap;
  }
  EXPECT_LT(previous_gap, 1.0);  // in total less than one entry's worth of mass misplaced
}

TEST(SoftTopKTest, SmallBetaApproachesUniformDensity) {
  const std::vector<double> v = RandomValues(2000, 7);
  const double k = 300.0;  // density 0.15
  SoftTopKOptions o = Tight(1e-4);
  o.max_iters = 2000;
  const torch::Tensor m = SoftTopK(FromVector(v), {}, k, o);
  EXPECT_NEAR(m.min().item<double>(), 0.15, 1e-4);
  EXPECT_NEAR(m.max().item<double>(), 0.15, 1e-4);
}

TEST(SoftTopKTest, ImplicitGradientMatchesFiniteDifferences) {
  std::mt19937 gen(8);
  const int n = 40;
  const std::vector<double> v0 = RandomValues(n, 9);
  std::vector<double> c(n), w(n);
  const double choices[3] = {1.0, 4.0, 9.0};
  for (int i = 0; i < n; ++i) c[i] = choices[gen() % 3];
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = v0[i] * c[i];
  std::normal_distribution<double> normal(0.0, 1.0);
  for (double& x : w) x = normal(gen);
  const double beta = 3.0;
  const double k = 0.3 * std::accumulate(c.begin(), c.end(), 0.0);

  // Kernel gradient through autograd: L = Σ w_i m_i.
  torch::Tensor vt = FromVector(v).requires_grad_(true);
  SoftTopKOptions o = Tight(beta);
  o.max_iters = 5000;
  const torch::Tensor m = SoftTopK(vt, FromVector(c), k, o);
  (m * FromVector(w)).sum().backward();
  const std::vector<float> grad = ToVector(vt.grad());

  // Central differences of the double-precision reference.
  auto loss = [&](const std::vector<double>& x) {
    const std::vector<double> mm = ReferenceMask(x, c, k, beta);
    double s = 0.0;
    for (int i = 0; i < n; ++i) s += w[i] * mm[i];
    return s;
  };
  const double h = 1e-5;
  double max_abs = 0.0;
  for (int j = 0; j < n; ++j) {
    std::vector<double> plus = v, minus = v;
    plus[j] += h;
    minus[j] -= h;
    const double fd = (loss(plus) - loss(minus)) / (2 * h);
    max_abs = std::max(max_abs, std::abs(fd));
    EXPECT_NEAR(grad[j], fd, 1e-4 + 1e-3 * std::abs(fd)) << "entry " << j;
  }
  EXPECT_GT(max_abs, 1e-3);  // the check is not vacuous
}

TEST(SoftTopKTest, GradientConservesBudget) {
  // d(Σ c m)/dv = 0: the budget constraint holds along every direction.
  const std::vector<double> v = RandomValues(500, 10);
  std::vector<double> c(v.size(), 2.0);
  torch::Tensor vt = FromVector(v).requires_grad_(true);
  const torch::Tensor ct = FromVector(c);
  SoftTopKOptions o;
  o.beta = 8.0;
  (SoftTopK(vt, ct, 200.0, o) * ct).sum().backward();
  EXPECT_LT(vt.grad().abs().max().item<double>(), 1e-5);
}

TEST(SoftTopKTest, BudgetCoveringEverythingKeepsAll) {
  const torch::Tensor v = torch::rand({100});
  SoftTopKOptions o;
  const torch::Tensor m = SoftTopK(v, {}, 100.0, o);
  EXPECT_TRUE(torch::equal(m, torch::ones({100})));
}

TEST(SoftTopKTest, SameResultForEveryThreadCount) {
  const torch::Tensor v = torch::rand({200000}, torch::TensorOptions().dtype(torch::kFloat));
  SoftTopKOptions o;
  o.beta = 30.0;
  const int saved = at::get_num_threads();
  at::set_num_threads(1);
  const torch::Tensor one = SoftTopK(v, {}, 12345.0, o);
  at::set_num_threads(2);
  const torch::Tensor two = SoftTopK(v, {}, 12345.0, o);
  at::set_num_threads(saved);
  EXPECT_TRUE(torch::equal(one, two));
}

TEST(HardTopKTest, KeepsExactlyCeilBudgetAgainstSort) {
  torch::manual_seed(11);
  for (int64_t n : {1, 7, 1000, 70001}) {
    const torch::Tensor v = torch::randn({n});
    for (double fraction : {0.01, 0.1, 0.5, 0.98}) {
      const double budget = std::max(0.5, fraction * n);
      const int64_t expect = std::min<int64_t>(n, static_cast<int64_t>(std::ceil(budget)));
      const torch::Tensor mask = HardTopKMask(v, {}, budget);
      ASSERT_EQ(mask.sum().item<int64_t>(), expect) << n << " " << fraction;
      // The kept ones are the `expect` largest values.
      const torch::Tensor kth = std::get<0>(v.topk(expect)).min();
      EXPECT_TRUE(v.masked_select(mask.to(torch::kBool)).ge(kth).all().item<bool>());
      EXPECT_TRUE(v.masked_select(mask.eq(0)).le(kth).all().item<bool>());
    }
  }
}

TEST(HardTopKTest, TiesAreBrokenByIndex) {
  const torch::Tensor v = torch::tensor({0.5f, 1.0f, 0.5f, 0.5f, 0.2f, 0.5f});
  const torch::Tensor mask = HardTopKMask(v, {}, 3.0);
  EXPECT_TRUE(torch::equal(mask, torch::tensor({1.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0.0f})));
  const TopKThreshold t = FindTopKThreshold(v, {}, 3.0);
  EXPECT_FLOAT_EQ(t.tau, 0.5f);
  EXPECT_EQ(t.num_above, 1);
  EXPECT_EQ(t.num_tied, 4);
}

TEST(HardTopKTest, GeneralCostsKeepSmallestPrefixReachingBudget) {
  std::mt19937 gen(12);
  const int n = 5000;
  std::vector<double> v(n), c(n);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  for (int i = 0; i < n; ++i) {
    c[i] = 1 + gen() % 16;
    v[i] = unif(gen) * c[i];
  }
  const double budget = 0.1 * std::accumulate(c.begin(), c.end(), 0.0) + 0.5;
  const std::vector<float> mask = ToVector(HardTopKMask(FromVector(v), FromVector(c), budget));
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<float> u(n);
  for (int i = 0; i < n; ++i) u[i] = static_cast<float>(v[i]) / static_cast<float>(c[i]);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return u[a] > u[b]; });
  double cum = 0.0;
  for (int r = 0; r < n; ++r) {
    const bool keep = cum < budget;
    ASSERT_EQ(mask[order[r]], keep ? 1.0f : 0.0f) << "rank " << r;
    cum += c[order[r]];
  }
}

TEST(SoftTopKTest, BadInputIsRejected) {
  SoftTopKOptions o;
  const torch::Tensor v = torch::rand({10});
  EXPECT_THROW(SoftTopK(v, {}, 0.0, o), c10::Error);
  EXPECT_THROW(SoftTopK(v, torch::ones({9}), 3.0, o), c10::Error);
  EXPECT_THROW(SoftTopK(v, -torch::ones({10}), 3.0, o), c10::Error);
  EXPECT_THROW(SoftTopK(torch::tensor({1.0f, NAN}), {}, 1.0, o), c10::Error);
  EXPECT_THROW(SoftTopK(v.to(torch::kDouble), {}, 3.0, o), c10::Error);
  o.beta = 0.0;
  EXPECT_THROW(SoftTopK(v, {}, 3.0, o), c10::Error);
}

}  // namespace
}  // namespace repro
