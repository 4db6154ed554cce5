#include "common/metrics/cross_model.h"

#include "gtest/gtest.h"

namespace repro {
namespace {

class CrossModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(4);
    labels_ = torch::arange(5, torch::kInt64).repeat({12});  // 60 items, 5 classes
    torch::Tensor centers = torch::randn({5, 4}).repeat({12, 1});
    old_ = torch::nn::functional::normalize(centers + 0.8 * torch::randn({60, 4}));
    // A BT²-like new model: its first 4 dimensions are the old embedding, 2 extra follow.
    new_ = torch::cat({old_, torch::randn({60, 2})}, 1);
    options_.retrieval.leave_one_out = true;
  }
  torch::Tensor labels_, old_, new_;
  CrossModelOptions options_;
};

TEST_F(CrossModelTest, MatrixCellsAreRetrievalOnTheCommonPrefix) {
  absl::StatusOr<CrossModelMatrix> m =
      EvaluateCrossModel({{"old", old_, old_}, {"new", new_, new_}}, labels_, labels_, options_);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->cells.size(), 4u);  // every ordered pair, row-major
  EXPECT_EQ(m->cells[1].query_model, "old");
  EXPECT_EQ(m->cells[1].gallery_model, "new");
  EXPECT_EQ(m->At("new", "old")->result.dim, 4);
  EXPECT_EQ(m->At("new", "new")->result.dim, 6);
  EXPECT_EQ(m->At("old", "nonexistent"), nullptr);

  // new/old compares the first 4 dimensions, which are the old embedding: it equals old/old.
  const CrossModelCell* old_old = m->At("old", "old");
  const CrossModelCell* new_old = m->At("new", "old");
  EXPECT_EQ(new_old->mean_ap(), old_old->mean_ap());
  EXPECT_EQ(new_old->top1(), old_old->top1());
  EXPECT_EQ(new_old->top5(), old_old->top5());

  // Each cell is EvaluateRetrieval of that pair.
  RetrievalOptions direct = options_.retrieval;
  RetrievalResult new_new = EvaluateRetrieval(new_, labels_, new_, labels_, direct);
  EXPECT_EQ(m->At("new", "new")->mean_ap(), new_new.mean_ap);
  EXPECT_EQ(m->At("new", "new")->top1(), new_new.Cmc(1));
  EXPECT_GT(old_old->mean_ap(), 0.3);  // clustered data: well above chance (0.2)
}

TEST_F(CrossModelTest, ChosenPairsOnly) {
  options_.pairs = {{"new", "old"}, {"new", "new"}};
  absl::StatusOr<CrossModelMatrix> m =
      EvaluateCrossModel({{"old", old_, old_}, {"new", new_, new_}}, labels_, labels_, options_);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->cells.size(), 2u);
  EXPECT_EQ(m->At("old", "old"), nullptr);
  EXPECT_NE(m->At("new", "old"), nullptr);
}

TEST_F(CrossModelTest, IncompatibleInputsGiveOneClearError) {
  options_.dimensions = DimensionPolicy::kRequireEqual;
  absl::StatusOr<CrossModelMatrix> m =
      EvaluateCrossModel({{"old", old_, old_}, {"new", new_, new_}}, labels_, labels_, options_);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("'old' has 4 dimensions and gallery model 'new' 6"),
            std::string::npos)
      << m.status();
  options_.dimensions = DimensionPolicy::kTruncateToCommonPrefix;

  auto error = [&](std::vector<ModelEmbeddings> models, const torch::Tensor& ql,
                   const torch::Tensor& gl) {
    absl::StatusOr<CrossModelMatrix> r = EvaluateCrossModel(models, ql, gl, options_);
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  // Different item counts between models.
  EXPECT_NE(error({{"old", old_, old_}, {"new", new_.narrow(0, 0, 59), new_}}, labels_, labels_)
                .find("every model must embed the same items"),
            std::string::npos);
  // Labels that do not match the rows.
  EXPECT_NE(error({{"old", old_, old_}}, labels_.narrow(0, 0, 10), labels_).find("10 query labels"),
            std::string::npos);
  // Duplicate and unknown names.
  EXPECT_NE(error({{"old", old_, old_}, {"old", new_, new_}}, labels_, labels_).find("two models"),
            std::string::npos);
  options_.pairs = {{"new", "older"}};
  EXPECT_NE(error({{"old", old_, old_}, {"new", new_, new_}}, labels_, labels_).find("unknown model"),
            std::string::npos);
  options_.pairs.clear();
  // An option error from retrieval.h comes back as a status, not an exception.
  options_.retrieval.ks = {0};
  EXPECT_NE(error({{"old", old_, old_}}, labels_, labels_).find("CMC ranks must be >= 1"),
            std::string::npos);
}

}  // namespace
}  // namespace repro
