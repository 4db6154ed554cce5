#include "bt2/table_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bt2/claims.h"
#include "gtest/gtest.h"

namespace repro::bt2 {
namespace {

constexpr char kPath[] = "experiments/bt2/test.smoke.pbtxt";

constexpr char kTrain[] =
    "train { epochs: 2 batch_size: 8 optimizer: 'adam' lr: 0.001 schedule: 'cosine' }";

std::string ValidConfig() {
  return absl::StrCat(R"pb(
    experiment {
      title: "t" scale: SMOKE seeds: [1, 2]
      data { name: FASHION_MNIST max_train: 100 }
    }
    eval { queries_per_class: 2 }
    models {
      name: "old" kind: INDEPENDENT embedding_dim: 4
      trunk { mlp { hidden_sizes: [8] } last_relu: true }
      train_data { classes: [0, 1] fraction: 0.5 }
    )pb", kTrain, R"pb(
    }
    models {
      name: "new" kind: INDEPENDENT embedding_dim: 4
      trunk { mlp { hidden_sizes: [16] } }
    )pb", kTrain, R"pb(
    }
    models {
      name: "bct" kind: BCT embedding_dim: 6 old_model: "old" influence_weight: 10
      trunk { mlp { hidden_sizes: [16] } }
    )pb", kTrain, R"pb(
    }
    models {
      name: "bt2" kind: BT2 embedding_dim: 4 old_model: "old" teacher: "new" extra_dims: 2
      norm_c: 2 new_match_weight: 1 influence_weight: 10 old_match_weight: 5
      trunk { mlp { hidden_sizes: [16] } }
    )pb", kTrain, R"pb(
    }
    cases { label: "old/old" query: "old" gallery: "old" }
    cases { label: "BT² new/old" query: "bt2" gallery: "old" }
    cross_matrix { models: ["old", "bt2"] labels: ["v1", "v2"] }
    claims {
      id: "H3" text: "BT² new/old beats old/old"
      conditions {
        lhs { row: "BT² new/old" metric: "Top-1" } relation: GREATER
        rhs { row: "old/old" metric: "Top-1" }
      }
      conditions { lhs { row: "v2/v1" metric: "mAP" } relation: LESS rhs { value: 100 } }
    }
  )pb");
}

// The config with `from` replaced by `to` (which must occur).
std::string Edit(const std::string& from, const std::string& to) {
  const std::string config = ValidConfig();
  EXPECT_NE(config.find(from), std::string::npos) << from;
  return absl::StrReplaceAll(config, {{from, to}});
}

std::string ErrorOf(const std::string& text) {
  const absl::StatusOr<TableConfig> config = ParseTableConfig(text, kPath);
  return config.ok() ? "ok" : std::string(config.status().message());
}

TEST(TableConfigTest, ValidConfigAndDerivedValues) {
  const absl::StatusOr<TableConfig> config = ParseTableConfig(ValidConfig(), kPath);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(EmbeddingDim(*FindModel(*config, "bt2")), 6);
  EXPECT_EQ(EmbeddingDim(*FindModel(*config, "bct")), 6);
  const std::vector<RowSpec> rows = TableRows(*config);
  ASSERT_EQ(rows.size(), 2u + 4u);
  EXPECT_EQ(rows[3].label, "v1/v2");
  EXPECT_EQ(rows[3].query, "old");
  EXPECT_EQ(rows[3].gallery, "bt2");
  // Dependencies come first; the unused "bct" is not trained.
  EXPECT_EQ(ModelsInTrainingOrder(*config), (std::vector<std::string>{"old", "new", "bt2"}));
}

TEST(TableConfigTest, CacheKeysIgnoreNamesAndFollowDependencies) {
  const TableConfig a = *ParseTableConfig(ValidConfig(), kPath);
  const TableConfig renamed = *ParseTableConfig(
      absl::StrReplaceAll(ValidConfig(), {{"\"old\"", "\"v1\""}}), kPath);
  EXPECT_EQ(ModelCacheKey(a, "old", 1), ModelCacheKey(renamed, "v1", 1));
  EXPECT_NE(ModelCacheKey(a, "old", 1), ModelCacheKey(a, "old", 2));
  EXPECT_NE(ModelCacheKey(a, "old", 1), ModelCacheKey(a, "new", 1));
  // A change in the old model changes the key of the models trained against it.
  const TableConfig changed = *ParseTableConfig(Edit("fraction: 0.5", "fraction: 0.25"), kPath);
  EXPECT_NE(ModelCacheKey(a, "bt2", 1), ModelCacheKey(changed, "bt2", 1));
  EXPECT_EQ(ModelCacheKey(a, "new", 1), ModelCacheKey(changed, "new", 1));
  // Logging does not change the model.
  const TableConfig logged = *ParseTableConfig(
      Edit("schedule: 'cosine' }", "schedule: 'cosine' log_every: 5 }"), kPath);
  EXPECT_EQ(ModelCacheKey(a, "bt2", 1), ModelCacheKey(logged, "bt2", 1));
}

TEST(TableConfigTest, BadConfigsNameTheFileAndField) {
  EXPECT_EQ(ErrorOf(ValidConfig()), "ok");
  const auto expect_error = [](const std::string& text, const std::string& part) {
    const std::string error = ErrorOf(text);
    EXPECT_NE(error.find(kPath), std::string::npos) << error;
    EXPECT_NE(error.find(part), std::string::npos) << error << "\n  expected: " << part;
  };
  expect_error(Edit("old_model: \"old\" influence_weight: 10\n",
                    "old_model: \"nope\" influence_weight: 10\n"),
               "'nope', which is not a model");
  expect_error(Edit("extra_dims: 2", "extra_dims: 5"), "extra_dims");
  expect_error(Edit("embedding_dim: 6", "embedding_dim: 3"), "BCT needs at least as many");
  expect_error(Edit("teacher: \"new\"", "teacher: \"bct\""), "must be an INDEPENDENT model");
  expect_error(Edit("metric: \"Top-1\" } relation", "metric: \"Top-5\" } relation"),
               "use Top-1 or mAP");
  expect_error(Edit("row: \"v2/v1\"", "row: \"v3/v1\""), "'v3/v1', which is no case");
  expect_error(Edit("optimizer: 'adam'", "optimizer: 'lion'"), "optimizer");
  expect_error(Edit("scale: SMOKE", "scale: CPU"), "experiment.scale");
  expect_error(Edit("gallery: \"old\" }\n    cases", "gallery: \"gone\" }\n    cases"),
               "'gone', which is not a model");
  // A cycle through old models.
  expect_error(Edit("name: \"old\" kind: INDEPENDENT embedding_dim: 4",
                    "name: \"old\" kind: BCT old_model: \"bct\" embedding_dim: 6"),
               "cycle");
  // A syntax error gives file:line:column.
  EXPECT_NE(ErrorOf("experiment { title: }").find("test.smoke.pbtxt:1:"), std::string::npos);
}

TEST(ClaimsTest, RelationsAndTolerances) {
  Condition c;
  c.set_relation(Condition::GREATER);
  EXPECT_TRUE(ConditionHolds(c, 2.0, 1.0));
  EXPECT_FALSE(ConditionHolds(c, 1.0, 1.0));
  c.set_tolerance(-0.5);  // ties within 0.5 count
  EXPECT_TRUE(ConditionHolds(c, 0.6, 1.0));
  EXPECT_FALSE(ConditionHolds(c, 0.4, 1.0));
  c.set_relation(Condition::LESS);
  c.set_tolerance(0.5);
  EXPECT_TRUE(ConditionHolds(c, 0.4, 1.0));
  EXPECT_FALSE(ConditionHolds(c, 0.6, 1.0));
  c.set_relation(Condition::WITHIN);
  c.set_tolerance(1.0);
  EXPECT_TRUE(ConditionHolds(c, 88.1, 89.0));
  EXPECT_FALSE(ConditionHolds(c, 87.9, 89.0));
  EXPECT_FALSE(ConditionHolds(c, std::nan(""), 89.0));
}

TEST(ClaimsTest, JudgeNeedsEveryConditionAndReportsNumbers) {
  const TableConfig config = *ParseTableConfig(ValidConfig(), kPath);
  const ClaimSpec& spec = config.claims(0);
  const auto lookup = [](double bt2_top1) {
    return [bt2_top1](const std::string& row, const std::string& metric) {
      if (row == "BT² new/old") return MetricStats{bt2_top1, 0.5};
      if (row == "old/old") return MetricStats{70.0, 0.25};
      return MetricStats{metric == kMap ? 40.0 : 0.0, 0.0};
    };
  };
  const Claim holds = JudgeClaim(spec, lookup(72.0));
  EXPECT_TRUE(holds.holds());
  EXPECT_EQ(holds.id(), "H3");
  EXPECT_NE(holds.evidence().find("BT² new/old Top-1 72.00 ± 0.50 vs old/old Top-1 70.00 ± 0.25"),
            std::string::npos)
      << holds.evidence();
  EXPECT_NE(holds.evidence().find("v2/v1 mAP 40.00 ± 0.00 vs 100.00"), std::string::npos)
      << holds.evidence();
  const Claim fails = JudgeClaim(spec, lookup(69.0));
  EXPECT_FALSE(fails.holds());
  EXPECT_NE(fails.evidence().find("✗"), std::string::npos);
}

}  // namespace
}  // namespace repro::bt2
