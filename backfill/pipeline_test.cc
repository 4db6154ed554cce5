// CollectCurves: seeds run concurrently (one thread each) give, bit for bit,
// the curves of the same seeds run one after another and of a seed run alone,
// on a tiny Fashion-MNIST version of the smoke config (every kind of model:
// ResNet and MLP backbones, BCT, ψ, MCL ψ and ρ, the ablation's variants with
// and without ρ).
#include "backfill/pipeline.h"

#include <map>
#include <string>
#include <vector>

#include "backfill/config.pb.h"
#include "backfill/data.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace repro::backfill {
namespace {

constexpr char kTrain[] = R"(
  train {
    epochs: 1
    batch_size: 64
    optimizer { kind: "sgd" lr: 0.05 momentum: 0.9 nesterov: true weight_decay: 5e-4 }
    warmup_steps: 2
    normalize_mean: [0.286]
    normalize_std: [0.353]
  })";

std::string ConfigText() {
  const std::string resnet = R"(
    model {
      resnet { widths: [4, 8, 8] blocks_per_stage: [1, 1, 1] embedding_dim: EMB }
      num_classes: 10 in_channels: 1 image_size: 28
    })";
  auto with_dim = [&](const std::string &dim) {
    std::string s = resnet;
    s.replace(s.find("EMB"), 3, dim);
    return s;
  };
  return std::string(R"(
experiment {
  title: "pipeline test" scale: SMOKE seeds: [1, 2]
  data { name: FASHION_MNIST max_train: 600 max_test: 200 }
}
new_model {)") +
         with_dim("16") + kTrain + R"(
}
settings {
  name: "homogeneous"
  old_model {)" +
         with_dim("8") + kTrain + R"(
    fraction: 0.5
  }
}
settings {
  name: "heterogeneous"
  old_model {
    model { mlp { hidden_sizes: [32, 8] } num_classes: 10 in_channels: 1 image_size: 28 })" +
         kTrain + R"(
  }
}
settings {
  name: "open-class"
  old_model {)" +
         with_dim("8") + kTrain + R"(
    classes: [0, 1, 2, 3, 4]
  }
}
bct { influence_weight: 1 }
psi { hidden: [16] epochs: 2 batch_size: 128 lr: 1e-3 train_items: 300 }
mcl { temperature: 0.1 weight: 1 epochs: 1 batch_size: 64 lr: 1e-3 variant: JOINT }
new_embedding { hidden: [8] }
protocol {
  num_steps: 4 order: RANDOM queries_per_class: 3 query_seed: 0 normalize: true
  cmc_ks: [1, 5] embed_batch_size: 100
}
methods: [OFFLINE, BCT, RANK_MERGE, REVERSE_TRANSFORM, REVERSE_TRANSFORM_MCL,
          LEARNABLE_NEW_EMBEDDING, NEW_NEW]
ablation_variants: [OLD_ONLY, JOINT]
ablation_with_new_embedding: true
)";
}

// `a` holds the curves of `a_seeds` seeds (the same number each, in seed
// order), `b` those of seeds a_from, a_from + 1, ... of them.
void ExpectSame(const std::vector<Curve> &a, const std::vector<Curve> &b,
                size_t a_from, size_t a_seeds, const std::string &what) {
  const size_t per_seed = a.size() / a_seeds;
  ASSERT_EQ(a.size(), per_seed * a_seeds) << what;
  ASSERT_GE(a.size(), a_from * per_seed + b.size()) << what;
  for (size_t i = 0; i < b.size(); ++i) {
    const Curve &x = a[a_from * per_seed + i];
    const Curve &y = b[i];
    EXPECT_EQ(x.t, y.t) << what << " #" << i;
    EXPECT_EQ(x.map, y.map) << what << " #" << i;
    EXPECT_EQ(x.cmc1, y.cmc1) << what << " #" << i;
    EXPECT_EQ(x.cmc5, y.cmc5) << what << " #" << i;
    EXPECT_EQ(x.nfr, y.nfr) << what << " #" << i;
    EXPECT_EQ(x.passes_per_query, y.passes_per_query) << what << " #" << i;
  }
}

// `b` (curves of seeds starting at index `a_from` of `a`'s `a_seeds` seeds)
// equals `a` there.
void ExpectSame(const std::map<std::string, SettingCurves> &a,
                const std::map<std::string, SettingCurves> &b, size_t a_from,
                size_t a_seeds) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto &[name, y] : b) {
    const SettingCurves &x = a.at(name);
    ExpectSame(x.old_old, y.old_old, a_from, a_seeds, name + " old/old");
    ExpectSame(x.new_new, y.new_new, a_from, a_seeds, name + " new/new");
    ExpectSame(x.rho_new_new, y.rho_new_new, a_from, a_seeds,
               name + " rho/rho");
    ASSERT_EQ(x.methods.size(), y.methods.size());
    for (const auto &[m, curves] : y.methods) {
      ExpectSame(x.methods.at(m), curves, a_from, a_seeds,
                 name + " " + MethodLabel(Method(m)));
    }
    ASSERT_EQ(x.variants.size(), y.variants.size());
    for (const auto &[v, curves] : y.variants) {
      ExpectSame(x.variants.at(v), curves, a_from, a_seeds,
                 name + " variant " + std::to_string(v));
    }
    ASSERT_EQ(x.variants_rho.size(), y.variants_rho.size());
    for (const auto &[v, curves] : y.variants_rho) {
      ExpectSame(x.variants_rho.at(v), curves, a_from, a_seeds,
                 name + " variant with rho " + std::to_string(v));
    }
  }
}

TEST(CollectCurvesTest, ConcurrentSeedsEqualSequentialAndAlone) {
  Config config;
  ASSERT_TRUE(
      google::protobuf::TextFormat::ParseFromString(ConfigText(), &config));
  TableRun run;
  run.config_path = "pipeline_test";
  run.scale = "smoke";
  run.threads = 2;
  run.fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";
  absl::StatusOr<BackfillData> data = LoadBackfillData(config, run);
  ASSERT_TRUE(data.ok()) << data.status();
  CurveRequest request;
  request.methods = true;
  request.variants = true;
  request.rho_new_new = true;
  const std::vector<uint64_t> seeds = {1, 2};

  // Concurrent first: every initial weight is then drawn while the seeds run at
  // once.
  absl::StatusOr<std::map<std::string, SettingCurves>> concurrent =
      CollectCurves(config, run, *data, seeds, request, 2);
  ASSERT_TRUE(concurrent.ok()) << concurrent.status();
  ClearPipelineMemos();
  absl::StatusOr<std::map<std::string, SettingCurves>> sequential =
      CollectCurves(config, run, *data, seeds, request, 1);
  ASSERT_TRUE(sequential.ok()) << sequential.status();
  ClearPipelineMemos();
  run.threads = 1;
  absl::StatusOr<std::map<std::string, SettingCurves>> alone =
      CollectCurves(config, run, *data, {2}, request);
  ASSERT_TRUE(alone.ok()) << alone.status();

  ExpectSame(*concurrent, *sequential, 0, 2);
  ExpectSame(*concurrent, *alone, 1, 2);
  // The seeds differ (the comparison is not between copies of one run).
  EXPECT_NE(concurrent->at("homogeneous").new_new[0].map,
            concurrent->at("homogeneous").new_new[1].map);
  // The MCL curve of the ablation's JOINT variant is the main table's RT + MCL
  // row.
  ExpectSame(concurrent->at("open-class").methods.at(REVERSE_TRANSFORM_MCL),
             concurrent->at("open-class").variants.at(JOINT), 0, 1,
             "joint = RT + MCL");
  // With ρ, it is the main table's learnable-new-embedding row.
  ASSERT_EQ(concurrent->at("open-class").variants_rho.size(), 2u);
  ExpectSame(concurrent->at("open-class").methods.at(LEARNABLE_NEW_EMBEDDING),
             concurrent->at("open-class").variants_rho.at(JOINT), 0, 1,
             "joint with rho = RT + MCL + learnable new embedding");
  // ρ changes what 'joint' trains (the curves are not the ψ-only ones).
  EXPECT_NE(concurrent->at("open-class").variants_rho.at(JOINT)[0].map,
            concurrent->at("open-class").variants.at(JOINT)[0].map);
}

} // namespace
} // namespace repro::backfill
