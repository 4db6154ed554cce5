#include "backfill/mcl_loss.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace repro::backfill {
namespace {

double SqDist(const torch::Tensor& a, const torch::Tensor& b, int64_t i, int64_t j) {
  double s = 0;
  for (int64_t k = 0; k < a.size(1); ++k) {
    const double d = a[i][k].item<double>() - b[j][k].item<double>();
    s += d * d;
  }
  return s;
}

// The loss of one softmax over the spaces in `spaces` (each a query/gallery pair), by loops.
double ReferenceLoss(const std::vector<std::pair<torch::Tensor, torch::Tensor>>& spaces,
                     const std::vector<int64_t>& labels, double tau) {
  const int64_t b = static_cast<int64_t>(labels.size());
  double total = 0;
  int anchors = 0;
  for (int64_t i = 0; i < b; ++i) {
    double num = 0, den = 0;
    bool any = false;
    for (int64_t j = 0; j < b; ++j) {
      if (j == i) continue;
      for (const auto& [q, g] : spaces) {
        const double e = std::exp(-SqDist(q, g, i, j) / tau);
        den += e;
        if (labels[j] == labels[i]) {
          num += e;
          any = true;
        }
      }
    }
    if (!any) continue;
    total += -std::log(num / den);
    ++anchors;
  }
  return anchors == 0 ? 0.0 : total / anchors;
}

class MclLossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(3);
    qo = torch::randn({6, 3}, torch::kFloat64);
    go = torch::randn({6, 3}, torch::kFloat64);
    qn = torch::randn({6, 4}, torch::kFloat64);
    gn = torch::randn({6, 4}, torch::kFloat64);
    // Class 9 has a single member: that anchor has no positive and is left out.
    labels_vec = {0, 1, 0, 1, 0, 9};
    labels = torch::tensor(labels_vec, torch::kInt64);
  }
  double Loss(MclVariant v, double tau = 0.5) {
    MclLossOptions o;
    o.temperature = tau;
    o.variant = v;
    return MclLoss(qo, go, qn, gn, labels, o).item<double>();
  }
  torch::Tensor qo, go, qn, gn, labels;
  std::vector<int64_t> labels_vec;
};

TEST_F(MclLossTest, VariantsMatchLoopReference) {
  const double old_only = ReferenceLoss({{qo, go}}, labels_vec, 0.5);
  const double new_only = ReferenceLoss({{qn, gn}}, labels_vec, 0.5);
  const double joint = ReferenceLoss({{qo, go}, {qn, gn}}, labels_vec, 0.5);
  EXPECT_NEAR(Loss(MclVariant::kOldOnly), old_only, 1e-9);
  EXPECT_NEAR(Loss(MclVariant::kNewOnly), new_only, 1e-9);
  EXPECT_NEAR(Loss(MclVariant::kSeparate), old_only + new_only, 1e-9);
  EXPECT_NEAR(Loss(MclVariant::kJoint), joint, 1e-9);
  // The joint softmax is not the sum of the separate ones.
  EXPECT_GT(std::abs(joint - (old_only + new_only)), 1e-3);
  EXPECT_NEAR(Loss(MclVariant::kJoint, 0.07), ReferenceLoss({{qo, go}, {qn, gn}}, labels_vec, 0.07),
              1e-7);
}

TEST_F(MclLossTest, JointGradientReachesOldSpaceThroughNewSpaceNegatives) {
  // With a frozen new space, the joint loss still moves the transformed queries: their distances
  // compete with new-space distances in one softmax.
  torch::Tensor q = qo.clone().requires_grad_(true);
  MclLossOptions o;
  o.variant = MclVariant::kJoint;
  MclLoss(q, go, qn, gn, labels, o).backward();
  EXPECT_GT(q.grad().abs().sum().item<double>(), 0.0);
  // The new-only variant does not depend on the old space at all.
  torch::Tensor q2 = qo.clone().requires_grad_(true);
  o.variant = MclVariant::kNewOnly;
  torch::Tensor loss = MclLoss(q2, go, qn.clone().requires_grad_(true), gn, labels, o);
  loss.backward();
  EXPECT_FALSE(q2.grad().defined() && q2.grad().abs().sum().item<double>() > 0);
}

TEST_F(MclLossTest, PerfectlySeparatedClassesGiveSmallLoss) {
  // Two tight clusters far apart, identical in both spaces.
  torch::Tensor centers = torch::tensor({{0.0, 0.0}, {10.0, 0.0}}, torch::kFloat64);
  torch::Tensor lab = torch::tensor({0, 0, 1, 1}, torch::kInt64);
  torch::Tensor x = centers.index_select(0, lab) + 0.01 * torch::randn({4, 2}, torch::kFloat64);
  MclLossOptions o;
  o.temperature = 1.0;
  const double loss = MclLoss(x, x, x, x, lab, o).item<double>();
  // One positive per space out of one positive + two far negatives: log(2 e^0 / 2 e^0) ≈ 0.
  EXPECT_LT(loss, 1e-3);
}

TEST_F(MclLossTest, RejectsBadShapes) {
  MclLossOptions o;
  EXPECT_THROW(MclLoss(qo, go.slice(0, 0, 5), qn, gn, labels, o), c10::Error);
  EXPECT_THROW(MclLoss(qo, go, qn, gn, labels.slice(0, 0, 5), o), c10::Error);
  o.temperature = 0;
  EXPECT_THROW(MclLoss(qo, go, qn, gn, labels, o), c10::Error);
}

}  // namespace
}  // namespace repro::backfill
