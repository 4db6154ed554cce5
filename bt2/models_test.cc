#include <cmath>

#include "bt2/losses.h"
#include "bt2/models.h"
#include "gtest/gtest.h"

namespace repro::bt2 {
namespace {

namespace F = torch::nn::functional;

Trunk MlpTrunk(std::initializer_list<int64_t> hidden, bool last_relu = true) {
  Trunk trunk;
  for (int64_t h : hidden) trunk.mutable_mlp()->add_hidden_sizes(h);
  trunk.set_last_relu(last_relu);
  return trunk;
}

Bt2ModelOptions SmallBt2(int64_t d_new, int64_t d_old, int64_t k, double c, bool orthogonal = true) {
  Bt2ModelOptions o;
  o.trunk = MlpTrunk({16});
  o.input = InputShape{1, 4, 4};
  o.new_dim = d_new;
  o.old_dim = d_old;
  o.extra_dims = k;
  o.norm_c = c;
  o.num_classes = 5;
  o.orthogonal = orthogonal;
  return o;
}

double MaxOrthogonalityError(const torch::Tensor& w) {
  return (w.t().matmul(w) - torch::eye(w.size(0))).abs().max().item<double>();
}

TEST(TrunkTest, ShapesAndLastRelu) {
  torch::manual_seed(0);
  EmbeddingTrunk mlp(MlpTrunk({8}), InputShape{1, 4, 4}, 6);
  const torch::Tensor h = mlp->forward(torch::randn({3, 1, 4, 4}));
  EXPECT_EQ(h.sizes(), torch::IntArrayRef({3, 6}));
  EXPECT_GE(h.min().item<float>(), 0.0f);

  Trunk cnn;
  cnn.mutable_cnn()->add_channels(4);
  cnn.mutable_cnn()->add_channels(8);
  const torch::Tensor images = torch::randn({2, 1, 8, 8});
  torch::manual_seed(7);
  EmbeddingTrunk conv(cnn, InputShape{1, 8, 8}, 5);
  const torch::Tensor hc = conv->forward(images);
  EXPECT_EQ(hc.sizes(), torch::IntArrayRef({2, 5}));
  // The same weights with last_relu: exactly the ReLU of the linear output.
  cnn.set_last_relu(true);
  torch::manual_seed(7);
  EmbeddingTrunk conv_relu(cnn, InputShape{1, 8, 8}, 5);
  EXPECT_TRUE(torch::equal(conv_relu->forward(images), torch::relu(hc)));

  // input_resize: 4x4 images are upsampled to 8x8 before an MLP that expects 64 inputs.
  Trunk resized = MlpTrunk({8});
  resized.set_input_resize(8);
  EmbeddingTrunk up(resized, InputShape{1, 4, 4}, 3);
  EXPECT_EQ(up->forward(torch::randn({2, 1, 4, 4})).sizes(), torch::IntArrayRef({2, 3}));
}

TEST(NormalizedClassifierTest, UnitNormEmbeddingAndBiasFreeLogits) {
  torch::manual_seed(1);
  NormalizedClassifier model(MlpTrunk({8}), InputShape{1, 4, 4}, 6, 3);
  const ClassifierOutput out = model->forward(torch::randn({5, 1, 4, 4}));
  EXPECT_TRUE(torch::allclose(out.embedding.norm(2, 1), torch::ones({5}), 1e-5, 1e-6));
  const torch::Tensor w = model->named_parameters()["classifier.weight"];
  EXPECT_TRUE(torch::allclose(out.logits, out.embedding.matmul(w.t()), 1e-5, 1e-6));
  EXPECT_EQ(model->named_parameters().find("classifier.bias"), nullptr);
}

TEST(Bt2ModelTest, ConstantNormOfTheNewEmbedding) {
  torch::manual_seed(2);
  for (double c : {1.0, 2.0, 3.0}) {
    Bt2Model model(SmallBt2(/*d_new=*/8, /*d_old=*/8, /*k=*/3, c));
    const Bt2Output out = model->forward(torch::randn({7, 1, 4, 4}));
    EXPECT_EQ(out.embedding.sizes(), torch::IntArrayRef({7, 11}));
    const torch::Tensor expected = torch::full({7}, std::sqrt(1 + c * c));
    EXPECT_TRUE(torch::allclose(out.embedding.norm(2, 1), expected, 1e-5, 1e-5)) << "C = " << c;
  }
  // k = 0: no u part, φ_new = R2 R1 (C f) has norm C.
  Bt2Model no_extra(SmallBt2(8, 8, 0, 2.0));
  const Bt2Output out = no_extra->forward(torch::randn({4, 1, 4, 4}));
  EXPECT_EQ(out.embedding.size(1), 8);
  EXPECT_TRUE(torch::allclose(out.embedding.norm(2, 1), torch::full({4}, 2.0), 1e-5, 1e-5));
}

TEST(Bt2ModelTest, ForwardMatchesTheFigureOneConstruction) {
  torch::manual_seed(3);
  const int64_t d_new = 6, d_old = 5, k = 2;
  const double c = 2.0;
  Bt2Model model(SmallBt2(d_new, d_old, k, c));
  const torch::Tensor x = torch::randn({4, 1, 4, 4});
  const Bt2Output out = model->forward(x);

  // Recompute from the parameters: h from the trunk, then §2.2 steps 2-8 by hand.
  auto params = model->named_parameters();
  const torch::Tensor flat = x.reshape({4, 16});
  const torch::Tensor h1 = torch::relu(flat.matmul(params["trunk.mlp.hidden.0.weight"].t()) +
                                       params["trunk.mlp.hidden.0.bias"]);
  const torch::Tensor h = torch::relu(h1.matmul(params["trunk.mlp.classifier.weight"].t()) +
                                      params["trunk.mlp.classifier.bias"]);
  const auto unit = [](const torch::Tensor& t) { return t / t.norm(2, 1, true); };
  const torch::Tensor f = unit(h.slice(1, 0, d_new));
  const torch::Tensor g =
      unit(h.matmul(params["projection.weight"].t()) + params["projection.bias"]);
  const torch::Tensor u = unit(g.slice(1, 0, k));
  const torch::Tensor p = (c * f).matmul(model->r1->weight().t());
  const torch::Tensor z = torch::cat({u, p}, 1);
  const torch::Tensor b = z.slice(1, 0, d_old).matmul(model->r2->weight().t());
  const torch::Tensor e = p.slice(1, d_old - k);
  EXPECT_TRUE(torch::allclose(out.f, f, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.compatible, b, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.extra, e, 1e-5, 1e-6));
  // φ_new = [b ; e]: its first d_old dimensions, used for new/old retrieval, are exactly b.
  EXPECT_TRUE(torch::equal(out.embedding.slice(1, 0, d_old), out.compatible));
  EXPECT_TRUE(torch::allclose(out.logits, f.matmul(params["classifier.weight"].t()), 1e-5, 1e-6));
}

TEST(Bt2ModelTest, BasisTransformationsStayOrthonormalUnconstrainedMapsDoNot) {
  for (bool orthogonal : {true, false}) {
    torch::manual_seed(4);
    Bt2Model model(SmallBt2(8, 8, 2, 2.0, orthogonal));
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(0.05));
    const torch::Tensor x = torch::randn({32, 1, 4, 4});
    const torch::Tensor target = torch::randn({32, 10});
    for (int step = 0; step < 30; ++step) {
      adam.zero_grad();
      (model->forward(x).embedding - target).pow(2).mean().backward();
      adam.step();
    }
    const double error = std::max(MaxOrthogonalityError(model->r1->weight().detach()),
                                  MaxOrthogonalityError(model->r2->weight().detach()));
    if (orthogonal) {
      EXPECT_LT(error, 1e-5);
    } else {
      EXPECT_GT(error, 1e-2);
    }
  }
}

TEST(Bt2ModelTest, RejectsImpossibleDimensions) {
  EXPECT_THROW(Bt2Model(SmallBt2(8, 8, 9, 2.0)), c10::Error);   // k > d_old
  EXPECT_THROW(Bt2Model(SmallBt2(4, 8, 2, 2.0)), c10::Error);   // d_old - k > d_new
  EXPECT_THROW(Bt2Model(SmallBt2(8, 8, 2, 0.0)), c10::Error);   // C = 0
}

TEST(LossesTest, PseudoClassifierIsTheClassMeans) {
  const torch::Tensor features = torch::tensor({{1.f, 0.f}, {0.f, 1.f}, {3.f, 1.f}, {0.f, 2.f}});
  const torch::Tensor labels = torch::tensor({0, 2, 0, 2}, torch::kInt64);
  const torch::Tensor p = PseudoOldClassifier(features, labels, 4);
  const torch::Tensor expected = torch::tensor({{2.f, 0.5f}, {0.f, 0.f}, {0.f, 1.5f}, {0.f, 0.f}});
  EXPECT_TRUE(torch::allclose(p, expected));
  EXPECT_THROW(PseudoOldClassifier(features, labels, 2), c10::Error);
}

TEST(LossesTest, InfluenceLossUsesTheFirstOldDimensions) {
  torch::manual_seed(5);
  const torch::Tensor p = torch::randn({3, 4});
  const torch::Tensor features = torch::randn({6, 7});  // 4 old dims + 3 added
  const torch::Tensor labels = torch::tensor({0, 1, 2, 2, 1, 0}, torch::kInt64);
  // P zero-padded to the full width gives the same logits.
  const torch::Tensor padded = torch::cat({p, torch::zeros({3, 3})}, 1);
  const torch::Tensor logits = features.matmul(padded.t());
  const torch::Tensor manual = -F::log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).mean();
  EXPECT_NEAR(InfluenceLoss(features, p, labels, 0.0).item<double>(), manual.item<double>(), 1e-5);
  // Label smoothing ε: (1 − ε) CE + ε · mean over classes of −log softmax.
  const double eps = 0.1;
  const torch::Tensor smooth = (1 - eps) * manual - eps * F::log_softmax(logits, 1).mean(1).mean();
  EXPECT_NEAR(InfluenceLoss(features, p, labels, eps).item<double>(), smooth.item<double>(), 1e-5);
  EXPECT_THROW(InfluenceLoss(torch::randn({6, 3}), p, labels, 0.0), c10::Error);
}

TEST(LossesTest, Bt2LossTermsAndWeights) {
  torch::manual_seed(6);
  Bt2Model model(SmallBt2(6, 5, 2, 2.0));
  const Bt2Output out = model->forward(torch::randn({4, 1, 4, 4}));
  const torch::Tensor labels = torch::tensor({0, 1, 4, 1}, torch::kInt64);
  const auto unit = [](const torch::Tensor& t) { return t / t.norm(2, 1, true); };
  const torch::Tensor new_targets = unit(torch::randn({4, 6}));
  const torch::Tensor old_targets = unit(torch::randn({4, 5}));
  const torch::Tensor p = torch::randn({5, 5});
  Bt2LossWeights weights;  // λ1 = 1, λ2 = 10, λ3 = 5, no label smoothing
  const Bt2LossTerms terms = Bt2Loss(out, labels, new_targets, old_targets, p, weights);

  const torch::Tensor b_hat = unit(out.compatible);
  const double ce = F::cross_entropy(out.logits, labels).item<double>();
  const double new_match = (1 - (out.f * new_targets).sum(1)).mean().item<double>();
  const double old_match = (1 - (b_hat * old_targets).sum(1)).mean().item<double>();
  const double influence = F::cross_entropy(b_hat.matmul(p.t()), labels).item<double>();
  EXPECT_NEAR(terms.classification.item<double>(), ce, 1e-5);
  EXPECT_NEAR(terms.new_match.item<double>(), new_match, 1e-5);
  EXPECT_NEAR(terms.old_match.item<double>(), old_match, 1e-5);
  EXPECT_NEAR(terms.influence.item<double>(), influence, 1e-5);
  EXPECT_NEAR(terms.total.item<double>(), ce + new_match + 5 * old_match + 10 * influence, 1e-4);
  // Perfect matches give zero matching terms.
  const Bt2LossTerms perfect =
      Bt2Loss(out, labels, out.f.detach(), b_hat.detach(), p, weights);
  EXPECT_NEAR(perfect.new_match.item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(perfect.old_match.item<double>(), 0.0, 1e-6);
}

}  // namespace
}  // namespace repro::bt2
