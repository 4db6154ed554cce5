// Tests of the sparsifier on a small conv + linear network: exact non-zero counts and the target
// sparsity over all parameters after finalization for every method, global allocation against a
// sort, block masks, each method's gradient (masked, straight-through, Spartan's implicit one),
// mask flips and the freeze, RigL's per-layer counts, FLOP factors, and bad input.
#include "spartan/sparsifier.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/kernels/soft_topk.h"
#include "gtest/gtest.h"
#include "spartan/flop_count.h"

namespace repro::spartan {
namespace {

namespace F = torch::nn::functional;

// conv1 [8,1,3,3] stride 2 on 8x8 -> 4x4; conv2 [8,8,3,3] stride 2 -> 2x2; fc1 [16,32]; fc2 [8,16].
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    conv1 = register_module("conv1", torch::nn::Conv2d(
                                         torch::nn::Conv2dOptions(1, 8, 3).stride(2).padding(1)));
    conv2 = register_module("conv2", torch::nn::Conv2d(
                                         torch::nn::Conv2dOptions(8, 8, 3).stride(2).padding(1)));
    fc1 = register_module("fc1", torch::nn::Linear(32, 16));
    fc2 = register_module("fc2", torch::nn::Linear(16, 8));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = torch::relu(conv1->forward(x));
    h = torch::relu(conv2->forward(h)).flatten(1);
    return fc2->forward(torch::relu(fc1->forward(h)));
  }
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(TinyNet);

constexpr int64_t kMaskedWeights = 72 + 576 + 512 + 128;

SparsifierOptions Options(Method method, double sparsity, int64_t steps) {
  SparsifierOptions o;
  o.method = method;
  o.target_sparsity = sparsity;
  o.total_steps = steps;
  o.beta_final = 5.0;
  o.rigl_update_every = 2;
  o.seed = 3;
  return o;
}

// Trains `steps` SGD steps on random data through the sparsifier.
void Train(TinyNet& net, Sparsifier& sp, int64_t steps) {
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  torch::manual_seed(5);
  for (int64_t step = 1; step <= steps; ++step) {
    const torch::Tensor x = torch::randn({16, 1, 8, 8});
    const torch::Tensor y = torch::randint(0, 8, {16});
    sp.BeginStep(step);
    opt.zero_grad();
    F::cross_entropy(net->forward(x), y).backward();
    sp.AfterBackward(step);
    opt.step();
  }
}

std::function<void()> SampleForward(TinyNet& net) {
  return [&net] { net->forward(torch::zeros({1, 1, 8, 8})); };
}

class ExactSparsityTest : public ::testing::TestWithParam<Method> {};

TEST_P(ExactSparsityTest, FinalModelHasExactlyTheBudgetedNonZeros) {
  for (double target : {0.5, 0.9, 0.95}) {
    torch::manual_seed(1);
    TinyNet net;
    auto sp = Sparsifier::Create(*net, Options(GetParam(), target, 20), SampleForward(net));
    ASSERT_TRUE(sp.ok()) << sp.status();
    Train(net, **sp, 20);
    (*sp)->Finalize();
    const SparsityReport r = (*sp)->Measure();
    int64_t total = 0;
    for (const auto& p : net->parameters()) total += p.numel();
    const int64_t expected = static_cast<int64_t>(
        std::ceil(kMaskedWeights - target * static_cast<double>(total) - 1e-9));
    EXPECT_EQ(r.budgeted_nonzeros, expected) << target;
    EXPECT_EQ(r.masked_nonzeros, expected) << target;
    EXPECT_EQ(r.total_params, total);
    EXPECT_LE(std::abs(r.sparsity_from_masks - target), 1.0 / total) << r.sparsity_from_masks;
    EXPECT_GE(r.sparsity_all, r.sparsity_from_masks);
    EXPECT_EQ(r.measured_for_target, r.sparsity_from_masks);
  }
}

INSTANTIATE_TEST_SUITE_P(AllMethods, ExactSparsityTest,
                         ::testing::Values(Method::kMagnitude, Method::kDualAveraging,
                                           Method::kSpartan, Method::kRigL));

TEST(SparsifierTest, GlobalAllocationKeepsTheLargestMagnitudesAcrossLayers) {
  torch::manual_seed(2);
  TinyNet net;
  SparsifierOptions o = Options(Method::kMagnitude, 0.8, 10);
  o.adjust_for_unmasked = false;
  o.warmup_frac = 0.0;
  auto sp = Sparsifier::Create(*net, o);
  ASSERT_TRUE(sp.ok()) << sp.status();
  (*sp)->BeginStep(1);
  std::vector<float> all;
  for (const torch::Tensor& w : {net->conv1->weight, net->conv2->weight, net->fc1->weight,
                                 net->fc2->weight}) {
    (void)w;
  }
  const std::vector<torch::Tensor> params = {net->named_parameters()["conv1.weight"],
                                             net->named_parameters()["conv2.weight"],
                                             net->named_parameters()["fc1.weight"],
                                             net->named_parameters()["fc2.weight"]};
  for (const torch::Tensor& p : params) {
    const torch::Tensor a = p.detach().abs().flatten().contiguous();
    all.insert(all.end(), a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
  }
  std::vector<float> sorted = all;
  std::sort(sorted.begin(), sorted.end(), std::greater<float>());
  const int64_t keep = static_cast<int64_t>(std::ceil(0.2 * kMaskedWeights - 1e-9));
  const float kth = sorted[keep - 1];
  const torch::Tensor hard = (*sp)->hard_mask();
  ASSERT_EQ(hard.sum().item<int64_t>(), keep);
  const torch::Tensor values = torch::tensor(all);
  EXPECT_TRUE(values.masked_select(hard.gt(0.5)).ge(kth).all().item<bool>());
  EXPECT_TRUE(values.masked_select(hard.lt(0.5)).le(kth).all().item<bool>());
  // Layers compete: the per-layer kept counts are not uniform.
  const std::vector<int64_t> kept = (*sp)->KeptPerLayer();
  EXPECT_NE(static_cast<double>(kept[0]) / 72, static_cast<double>(kept[2]) / 512);
}

TEST(SparsifierTest, BlockMasksAreConstantPerBlock) {
  torch::manual_seed(3);
  TinyNet net;
  SparsifierOptions o = Options(Method::kSpartan, 0.75, 10);
  o.block_rows = 4;
  o.block_cols = 4;
  o.module_prefixes = {"fc"};
  o.adjust_for_unmasked = false;
  auto sp = Sparsifier::Create(*net, o);
  ASSERT_TRUE(sp.ok()) << sp.status();
  EXPECT_EQ((*sp)->num_entries(), 512 / 16 + 128 / 16);
  Train(net, **sp, 10);
  (*sp)->Finalize();
  const torch::Tensor w = net->fc1->weight.detach();
  const torch::Tensor block_nnz = w.ne(0).reshape({4, 4, 8, 4}).sum({1, 3});
  EXPECT_TRUE(block_nnz.eq(0).logical_or(block_nnz.eq(16)).all().item<bool>());
  const SparsityReport r = (*sp)->Measure();
  EXPECT_EQ(r.masked_nonzeros, 16 * static_cast<int64_t>(std::ceil(0.25 * 640 / 16)));
  EXPECT_EQ(r.masked_nonzeros, r.budgeted_nonzeros);
  // Convs were not masked.
  EXPECT_EQ(net->conv1->weight.ne(0).sum().item<int64_t>(), 72);
}

TEST(SparsifierTest, MagnitudeMasksGradientsAndDualAveragingPassesThemThrough) {
  for (Method method : {Method::kMagnitude, Method::kDualAveraging}) {
    torch::manual_seed(4);
    TinyNet net;
    SparsifierOptions o = Options(method, 0.9, 10);
    o.warmup_frac = 0.0;
    auto sp = Sparsifier::Create(*net, o);
    ASSERT_TRUE(sp.ok());
    (*sp)->BeginStep(1);
    F::cross_entropy(net->forward(torch::randn({8, 1, 8, 8})), torch::randint(0, 8, {8}))
        .backward();
    const torch::Tensor grad = net->named_parameters()["fc1.weight"].grad();
    const torch::Tensor pruned = (*sp)->hard_mask().narrow(0, 72 + 576, 512).view({16, 32}).eq(0);
    const double pruned_grad = grad.masked_select(pruned).abs().sum().item<double>();
    if (method == Method::kMagnitude) {
      EXPECT_EQ(pruned_grad, 0.0);
    } else {
      EXPECT_GT(pruned_grad, 0.0);
    }
    // Forward uses the hard-masked weight in both cases.
    EXPECT_TRUE(net->fc1->weight.detach().masked_select(pruned).eq(0).all().item<bool>());
  }
}

TEST(SparsifierTest, SpartanGradientIsTheImplicitSoftTopKGradient) {
  torch::manual_seed(6);
  TinyNet net;
  SparsifierOptions o = Options(Method::kSpartan, 0.7, 10);
  o.warmup_frac = 0.0;
  o.adjust_for_unmasked = false;
  o.sinkhorn_tol = 0.0;
  o.sinkhorn_max_iters = 500;
  auto sp = Sparsifier::Create(*net, o);
  ASSERT_TRUE(sp.ok());
  (*sp)->BeginStep(1);
  std::vector<torch::Tensor> members = {net->conv1->weight, net->conv2->weight, net->fc1->weight,
                                        net->fc2->weight};
  for (torch::Tensor& m : members) m.retain_grad();
  F::cross_entropy(net->forward(torch::randn({8, 1, 8, 8})), torch::randint(0, 8, {8})).backward();
  // Manual: ∂L/∂W = G ⊙ m + sign(W) · SoftTopKBackward(G ⊙ W).
  std::vector<torch::Tensor> w, g;
  for (const char* name : {"conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"}) {
    w.push_back(net->named_parameters()[name].detach().flatten());
  }
  for (const torch::Tensor& m : members) g.push_back(m.grad().flatten());
  const torch::Tensor wall = torch::cat(w), gall = torch::cat(g);
  SoftTopKOptions so;
  so.beta = (*sp)->schedule().BetaAt(1);
  so.max_iters = 500;
  so.tol = 0.0;
  const double budget = (*sp)->BudgetAt(1);
  const torch::Tensor m = SoftTopK(wall.abs(), {}, budget, so);
  const torch::Tensor expected = gall * m + wall.sign() * SoftTopKBackward(gall * wall, m, {}, so.beta);
  std::vector<torch::Tensor> actual;
  for (const char* name : {"conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"}) {
    actual.push_back(net->named_parameters()[name].grad().flatten());
  }
  EXPECT_TRUE(torch::allclose(torch::cat(actual), expected, 1e-4, 1e-6));
}

TEST(SparsifierTest, FlipsStopAtTheFreezeAndRigLKeepsLayerCounts) {
  for (Method method : {Method::kMagnitude, Method::kDualAveraging, Method::kSpartan,
                        Method::kRigL}) {
    torch::manual_seed(7);
    TinyNet net;
    auto sp = Sparsifier::Create(*net, Options(method, 0.9, 20));
    ASSERT_TRUE(sp.ok());
    const std::vector<int64_t> before = (*sp)->KeptPerLayer();
    Train(net, **sp, 20);
    const std::vector<int64_t>& flips = (*sp)->flips();
    ASSERT_EQ(flips.size(), 20u);
    const int64_t freeze = (*sp)->schedule().freeze_step();
    EXPECT_EQ(freeze, 16);
    for (int64_t s = freeze + 2; s <= 20; ++s) EXPECT_EQ(flips[s - 1], 0) << MethodName(method);
    int64_t total = 0;
    for (int64_t f : flips) total += f;
    EXPECT_GT(total, 0) << MethodName(method);
    if (method == Method::kRigL) {
      EXPECT_EQ((*sp)->KeptPerLayer(), before);  // drop/grow moves weights within a layer
      for (int64_t s = 1; s <= 20; s += 2) EXPECT_EQ(flips[s - 1], 0);  // updates every 2 steps
    }
  }
}

TEST(SparsifierTest, FlopFactorsAreTheConvOutputSizes) {
  TinyNet net;
  auto sizes = MeasureConvOutputSizes(*net, SampleForward(net));
  ASSERT_TRUE(sizes.ok()) << sizes.status();
  EXPECT_EQ(sizes->at("conv1"), 16);
  EXPECT_EQ(sizes->at("conv2"), 4);
  auto sp = Sparsifier::Create(*net, Options(Method::kMagnitude, 0.5, 4), SampleForward(net));
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ((*sp)->layers()[0].flops_per_weight, 16.0);
  EXPECT_EQ((*sp)->layers()[2].flops_per_weight, 1.0);
}

TEST(SparsifierTest, FlopCostMeetsTheFlopTarget) {
  torch::manual_seed(8);
  TinyNet net;
  SparsifierOptions o = Options(Method::kSpartan, 0.8, 10);
  o.cost_model = CostModel::kFlops;
  auto sp = Sparsifier::Create(*net, o, SampleForward(net));
  ASSERT_TRUE(sp.ok()) << sp.status();
  Train(net, **sp, 10);
  (*sp)->Finalize();
  const SparsityReport r = (*sp)->Measure();
  // FLOPs: 72·16 + 576·4 + 512 + 128 = 4096; one entry costs at most 16 of them.
  EXPECT_GE(r.flop_fraction, 0.2 - 1e-9);
  EXPECT_LE(r.flop_fraction, 0.2 + 16.0 / 4096 + 1e-9);
  EXPECT_NEAR(r.cost_fraction, r.flop_fraction, 1e-6);
  EXPECT_EQ(r.masked_nonzeros, r.budgeted_nonzeros);
}

TEST(SparsifierTest, BadInputGivesOneClearError) {
  TinyNet net;
  auto error = [&](SparsifierOptions o) {
    auto sp = Sparsifier::Create(*net, o, SampleForward(net));
    return sp.ok() ? std::string("ok") : std::string(sp.status().message());
  };
  EXPECT_EQ(error(Options(Method::kSpartan, 1.0, 10)), "target sparsity 1 is outside [0, 1)");
  EXPECT_EQ(error(Options(Method::kSpartan, -0.1, 10)), "target sparsity -0.1 is outside [0, 1)");
  SparsifierOptions blocks = Options(Method::kSpartan, 0.5, 10);
  blocks.block_rows = 3;
  blocks.block_cols = 3;
  EXPECT_EQ(error(blocks),
            "block shape 3x3 does not divide the weight of 'conv1' (shape [8, 1, 3, 3]); choose a "
            "block shape that divides it or exclude the layer with module_prefixes");
  SparsifierOptions costs = Options(Method::kSpartan, 0.5, 10);
  costs.cost_model = CostModel::kLayerCosts;
  costs.layer_costs = {1.0, 2.0};
  EXPECT_EQ(error(costs), "cost model has 2 layer costs but the model has 4 masked layers");
  SparsifierOptions unreachable = Options(Method::kSpartan, 0.99, 10);
  EXPECT_NE(error(unreachable).find("is unreachable"), std::string::npos);
}

}  // namespace
}  // namespace repro::spartan
