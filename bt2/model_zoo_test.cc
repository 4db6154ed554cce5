#include "bt2/model_zoo.h"

#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>

#include "bt2/table_config.h"
#include "bt2/trainer.h"
#include "common/train/checkpoint.h"
#include "gtest/gtest.h"

namespace repro::bt2 {
namespace {

constexpr char kPath[] = "experiments/bt2/zoo.smoke.pbtxt";

std::string Config(const std::string& old_checkpoint = "") {
  const std::string train =
      "train { epochs: 3 batch_size: 16 optimizer: 'adam' lr: 0.01 schedule: 'cosine' "
      "warmup_epochs: 1 label_smoothing: 0.1 }";
  std::string old_extra = old_checkpoint.empty() ? "" : "checkpoint: '" + old_checkpoint + "'";
  return R"pb(
    experiment { title: "zoo" scale: SMOKE seeds: [1] data { name: FASHION_MNIST } }
    models {
      name: "old" kind: INDEPENDENT embedding_dim: 4 trunk { mlp { hidden_sizes: [8] } last_relu: true }
      train_data { classes: [0, 1] } )pb" + train + old_extra + R"pb(
    }
    models {
      name: "new" kind: INDEPENDENT embedding_dim: 4 trunk { mlp { hidden_sizes: [16] } last_relu: true }
      )pb" + train + R"pb(
    }
    models {
      name: "bct" kind: BCT embedding_dim: 6 old_model: "old" influence_weight: 10
      trunk { mlp { hidden_sizes: [16] } last_relu: true } )pb" + train + R"pb(
    }
    models {
      name: "bt2" kind: BT2 embedding_dim: 4 old_model: "old" teacher: "new" extra_dims: 2 norm_c: 2
      new_match_weight: 1 influence_weight: 10 old_match_weight: 5
      trunk { mlp { hidden_sizes: [16] } last_relu: false } )pb" + train + R"pb(
    }
    cases { label: "BT² new/old" query: "bt2" gallery: "old" }
    cases { label: "BCT new/old" query: "bct" gallery: "old" }
  )pb";
}

// Three well separated classes of 4x4 "images".
Bt2Data SyntheticData() {
  torch::manual_seed(123);
  Bt2Data data;
  const int64_t n = 96;
  const torch::Tensor labels = torch::arange(n, torch::kInt64) % 3;
  const torch::Tensor centers = 2 * torch::randn({3, 16});
  const auto images = [&](int64_t count) {
    return (centers.index_select(0, labels.slice(0, 0, count)) + 0.5 * torch::randn({count, 16}))
        .reshape({count, 1, 4, 4});
  };
  data.train = {images(n), labels};
  data.test = {images(48), labels.slice(0, 0, 48)};
  data.num_classes = 3;
  data.input = InputShape{1, 4, 4};
  return data;
}

std::string TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name;
}

TEST(ModelZooTest, TrainsInDependencyOrderCachesAndReloads) {
  const TableConfig config = *ParseTableConfig(Config(), kPath);
  const Bt2Data data = SyntheticData();
  const std::string cache = TempDir("zoo_cache");
  torch::Tensor bt2_first, bct_first;
  {
    ModelZoo zoo(config, kPath, data, cache, "test/");
    bt2_first = *zoo.TestEmbeddings("bt2", 1);
    bct_first = *zoo.TestEmbeddings("bct", 1);
    ASSERT_EQ(zoo.log().size(), 4u);  // old, new (teacher), bt2, bct
    EXPECT_NE(zoo.log()[0].find("test/old seed 1: trained on 64 images"), std::string::npos)
        << zoo.log()[0];
    EXPECT_NE(zoo.log()[0].find("samples/s"), std::string::npos);
  }
  EXPECT_EQ(bt2_first.sizes(), torch::IntArrayRef({48, 6}));
  EXPECT_EQ(bct_first.sizes(), torch::IntArrayRef({48, 6}));
  // ‖φ_new‖ = √(1 + C²) for every test image (without the last ReLU, h[:d_new] is never all zero;
  // with it, an all-zero h[:d_new] gives f = 0, as in the official code, and the table notes count
  // such images).
  EXPECT_TRUE(torch::allclose(bt2_first.norm(2, 1), torch::full({48}, std::sqrt(5.0)), 1e-5, 1e-5));

  // A second zoo (e.g. another table) loads every model from the cache: identical embeddings.
  ModelZoo again(config, kPath, data, cache, "test/");
  EXPECT_TRUE(torch::equal(*again.TestEmbeddings("bt2", 1), bt2_first));
  ASSERT_EQ(again.log().size(), 1u);
  EXPECT_NE(again.log()[0].find("cached"), std::string::npos) << again.log()[0];

  // Without a cache, training again gives the same numbers (seeded, same thread count).
  ModelZoo fresh(config, kPath, data, "", "test/");
  EXPECT_TRUE(torch::equal(*fresh.TestEmbeddings("bt2", 1), bt2_first));
}

// Seeds trained concurrently (one thread each, one zoo each, as the tables do) get exactly the
// models they get alone: initialisation and checkpoint loading share LibTorch's default generator
// under a lock, and nothing else draws from it.
TEST(ModelZooTest, ConcurrentSeedsMatchSequentialOnes) {
  const TableConfig config = *ParseTableConfig(Config(), kPath);
  const Bt2Data data = SyntheticData();
  const auto embed = [&](uint64_t seed, torch::Tensor* out) {
    at::set_num_threads(1);
    ModelZoo zoo(config, kPath, data, "", "test/");
    *out = *zoo.TestEmbeddings("bt2", seed);
  };
  torch::Tensor alone[2], together[2];
  for (int i = 0; i < 2; ++i) std::thread(embed, i + 1, &alone[i]).join();
  std::thread a(embed, 1, &together[0]), b(embed, 2, &together[1]);
  a.join();
  b.join();
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(torch::equal(alone[i], together[i])) << "seed " << i + 1;
  EXPECT_FALSE(torch::equal(alone[0], alone[1]));
}

TEST(ModelZooTest, MissingOldCheckpointIsOneClearError) {
  const TableConfig config = *ParseTableConfig(Config(TempDir("no/such/old.pt")), kPath);
  const Bt2Data data = SyntheticData();
  ModelZoo zoo(config, kPath, data, "", "test/");
  const absl::Status status = zoo.Get("bt2", 1).status();
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_NE(status.message().find("checkpoint of model 'old' of " + std::string(kPath)),
            std::string::npos)
      << status;
  EXPECT_NE(status.message().find("not found at"), std::string::npos) << status;
}

TEST(ModelZooTest, CheckpointOfAnotherEmbeddingSizeIsRefused) {
  // An 8-d model saved where the config expects the 4-d old model.
  const std::string path = TempDir("wide_old.pt");
  ModelSpec wide;
  wide.set_kind(ModelSpec::INDEPENDENT);
  wide.set_embedding_dim(8);
  wide.mutable_trunk()->mutable_mlp()->add_hidden_sizes(8);
  wide.mutable_trunk()->set_last_relu(true);
  const auto model = MakeModel(wide, 0, InputShape{1, 4, 4}, 3);
  ASSERT_TRUE(SaveCheckpoint(path, *model, nullptr, {}).ok());

  const TableConfig config = *ParseTableConfig(Config(path), kPath);
  const Bt2Data data = SyntheticData();
  ModelZoo zoo(config, kPath, data, "", "test/");
  const absl::Status status = zoo.Get("old", 1).status();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("does not fit model 'old'"), std::string::npos) << status;
  EXPECT_NE(status.message().find("4-d embeddings"), std::string::npos) << status;
  EXPECT_EQ(status.message().find('\n'), std::string::npos) << status;
}

}  // namespace
}  // namespace repro::bt2
