#include "bt2/compat_matrix.h"

#include <cstdlib>
#include <string>

#include "bt2/model_zoo.h"
#include "bt2/table_config.h"
#include "common/results/cache_path.h"
#include "gtest/gtest.h"

namespace repro::bt2 {
namespace {

constexpr char kPath[] = "experiments/bt2/compat.smoke.pbtxt";

constexpr char kConfig[] = R"pb(
  experiment { title: "compat" scale: SMOKE seeds: [1] data { name: FASHION_MNIST } }
  models {
    name: "old" kind: INDEPENDENT embedding_dim: 4
    trunk { mlp { hidden_sizes: [8] } last_relu: true } train_data { classes: [0, 1] }
    train { epochs: 2 batch_size: 16 optimizer: "adam" lr: 0.01 schedule: "cosine" }
  }
  models {
    name: "new" kind: INDEPENDENT embedding_dim: 4 trunk { mlp { hidden_sizes: [16] } }
    train { epochs: 2 batch_size: 16 optimizer: "adam" lr: 0.01 schedule: "cosine" }
  }
  models {
    name: "bct_wide" kind: BCT embedding_dim: 6 old_model: "old" influence_weight: 10
    trunk { mlp { hidden_sizes: [16] } }
    train { epochs: 2 batch_size: 16 optimizer: "adam" lr: 0.01 schedule: "cosine" }
  }
  models {
    name: "bt2" kind: BT2 embedding_dim: 4 old_model: "old" teacher: "new" extra_dims: 2
    norm_c: 2 new_match_weight: 1 influence_weight: 10 old_match_weight: 5
    trunk { mlp { hidden_sizes: [16] } }
    train { epochs: 2 batch_size: 16 optimizer: "adam" lr: 0.01 schedule: "cosine" }
  }
  cases { label: "BT² new/old" query: "bt2" gallery: "old" }
  cases { label: "BCT new/old" query: "bct_wide" gallery: "old" }
)pb";

Bt2Data SyntheticData() {
  torch::manual_seed(7);
  Bt2Data data;
  const torch::Tensor labels = torch::arange(60, torch::kInt64) % 3;
  const torch::Tensor centers = 2 * torch::randn({3, 16});
  const auto images = [&](int64_t n) {
    return (centers.index_select(0, labels.slice(0, 0, n)) + 0.5 * torch::randn({n, 16}))
        .reshape({n, 1, 4, 4});
  };
  data.train = {images(60), labels};
  data.test = {images(30), labels.slice(0, 0, 30)};
  data.num_classes = 3;
  data.input = InputShape{1, 4, 4};
  return data;
}

class CompatMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = *ParseTableConfig(kConfig, kPath);
    data_ = SyntheticData();
    const char* tmp = std::getenv("TEST_TMPDIR");
    cache_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/compat_cache";
    ModelZoo zoo(config_, kPath, data_, cache_, "compat/");
    for (const char* name : {"old", "bt2", "bct_wide"}) {
      embeddings_[name] = *zoo.TestEmbeddings(name, 1);
    }
  }
  std::string Checkpoint(const std::string& name) const {
    const std::string kind = name == "old" ? "independent" : name == "bt2" ? "bt2" : "bct";
    return CachedModelPath(cache_, "bt2", kind, ModelCacheKey(config_, name, 1));
  }
  CompatibilityRequest Request(const std::string& old_model, const std::string& new_model) const {
    CompatibilityRequest request;
    request.config = config_;
    request.config_path = kPath;
    request.old_model = old_model;
    request.new_model = new_model;
    request.old_checkpoint = Checkpoint(old_model);
    request.new_checkpoint = Checkpoint(new_model);
    request.queries_per_class = 3;
    return request;
  }

  TableConfig config_;
  Bt2Data data_;
  std::string cache_;
  std::map<std::string, torch::Tensor> embeddings_;
};

TEST_F(CompatMatrixTest, MatchesTheTableEvaluation) {
  const absl::StatusOr<CompatibilityMatrix> matrix =
      ComputeCompatibilityMatrix(Request("old", "bt2"), data_);
  ASSERT_TRUE(matrix.ok()) << matrix.status();
  EXPECT_EQ(matrix->dims[0], 4);
  EXPECT_EQ(matrix->dims[1], 6);
  EXPECT_EQ(matrix->cells[1][0].dim, 4);  // new/old: the first d_old dims
  EXPECT_EQ(matrix->cells[1][1].dim, 6);
  const torch::Tensor queries = FixedQueries(data_.test.labels, 3);
  const CaseResult expected = *MeasureCase("bt2", embeddings_["bt2"], "old", embeddings_["old"],
                                           data_.test.labels, queries);
  EXPECT_DOUBLE_EQ(matrix->cells[1][0].top1, expected.top1);
  EXPECT_DOUBLE_EQ(matrix->cells[1][0].map, expected.map);
  const std::string text = FormatCompatibilityMatrix(*matrix);
  EXPECT_NE(text.find("bt2 (6-d)"), std::string::npos) << text;
}

TEST_F(CompatMatrixTest, MissingOldCheckpoint) {
  CompatibilityRequest request = Request("old", "bt2");
  request.old_checkpoint = cache_ + "/missing.pt";
  const absl::Status status = CheckCompatibilityRequest(request);
  EXPECT_TRUE(absl::IsNotFound(status));
  EXPECT_NE(status.message().find("old-model checkpoint not found at"), std::string::npos) << status;
}

TEST_F(CompatMatrixTest, IncompatibleDimensions) {
  // A 4-d query model against a 6-d gallery model.
  absl::Status status = CheckCompatibilityRequest(Request("bct_wide", "old"));
  EXPECT_NE(status.message().find("incompatible dimensions"), std::string::npos) << status;
  // BT² was trained against the 4-d old model, not the 6-d BCT model.
  status = CheckCompatibilityRequest(Request("bct_wide", "bt2"));
  EXPECT_NE(status.message().find("trained compatible with a 4-d old model"), std::string::npos)
      << status;
  status = CheckCompatibilityRequest(Request("old", "nope"));
  EXPECT_NE(status.message().find("'nope' is not a model"), std::string::npos) << status;
}

TEST_F(CompatMatrixTest, CheckpointOfAnotherEmbeddingSize) {
  // The 6-d BCT checkpoint given for the 6-d BT² model: wrong tensors.
  CompatibilityRequest request = Request("old", "bt2");
  request.new_checkpoint = Checkpoint("bct_wide");
  const absl::StatusOr<CompatibilityMatrix> matrix = ComputeCompatibilityMatrix(request, data_);
  ASSERT_FALSE(matrix.ok());
  EXPECT_NE(matrix.status().message().find("does not fit model 'bt2'"), std::string::npos)
      << matrix.status();
  // The 6-d BCT checkpoint given for the 4-d old model.
  request = Request("old", "bt2");
  request.old_checkpoint = Checkpoint("bct_wide");
  const absl::StatusOr<CompatibilityMatrix> wide = ComputeCompatibilityMatrix(request, data_);
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.status().message().find("(INDEPENDENT, 4-d embeddings)"), std::string::npos)
      << wide.status();
}

}  // namespace
}  // namespace repro::bt2
