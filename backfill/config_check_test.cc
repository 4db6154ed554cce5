// Config errors name the file and the field, before anything runs.
#include "backfill/config_check.h"

#include <string>

#include "gtest/gtest.h"

namespace repro::backfill {
namespace {

constexpr char kPath[] = "experiments/backfill/backfill_main.smoke.pbtxt";

// A minimal valid main-table config.
std::string Valid() {
  return R"pb(
    experiment { title: "t" scale: SMOKE seeds: [1] data { name: FASHION_MNIST } }
    new_model {
      model { mlp { hidden_sizes: [8] } num_classes: 10 in_channels: 1 image_size: 28 }
      train { epochs: 1 batch_size: 8 optimizer { kind: "sgd" lr: 0.1 } }
    }
    settings {
      name: "open-class"
      old_model {
        model { mlp { hidden_sizes: [4] } num_classes: 10 in_channels: 1 image_size: 28 }
        train { epochs: 1 batch_size: 8 optimizer { kind: "sgd" lr: 0.1 } }
        classes: [0, 1]
      }
    }
    psi { hidden: [8] epochs: 1 batch_size: 8 lr: 1e-3 }
    mcl { temperature: 0.1 weight: 1 epochs: 1 batch_size: 8 lr: 1e-3 variant: JOINT }
    protocol { num_steps: 10 cmc_ks: [1, 5] }
    methods: [RANK_MERGE]
  )pb";
}

std::string ErrorOf(const std::string& text, TableKind kind = TableKind::kMain) {
  auto config = ParseConfig(text, kPath, kind);
  return config.ok() ? "" : std::string(config.status().message());
}

TEST(ConfigCheckTest, ValidConfigParses) { EXPECT_EQ(ErrorOf(Valid()), ""); }

TEST(ConfigCheckTest, SyntaxErrorNamesFileAndLine) {
  const std::string e = ErrorOf(Valid() + "\nprotocol { num_steps: }");
  EXPECT_NE(e.find(kPath), std::string::npos) << e;
  EXPECT_NE(e.find(":"), std::string::npos) << e;
}

TEST(ConfigCheckTest, UnknownFieldIsAnError) {
  const std::string e = ErrorOf(Valid() + "\nno_such_field: 3");
  EXPECT_NE(e.find("no_such_field"), std::string::npos) << e;
}

TEST(ConfigCheckTest, OutOfRangeValuesNameTheField) {
  struct Case {
    std::string from, to, field;
  };
  for (const Case& c :
       {Case{"num_steps: 10", "num_steps: 0", "protocol.num_steps"},
        Case{"cmc_ks: [1, 5]", "cmc_ks: [5]", "protocol.cmc_ks"},
        Case{"temperature: 0.1", "temperature: 0", "mcl.temperature"},
        Case{"psi { hidden: [8] epochs: 1 batch_size: 8", "psi { hidden: [8] epochs: 1 batch_size: 1",
             "psi.batch_size"},
        Case{"protocol { num_steps: 10", "protocol { order: EXPLICIT num_steps: 10",
             "protocol.explicit_order"},
        Case{"methods: [RANK_MERGE]", "methods: [RANK_MERGE, RANK_MERGE]", "methods"},
        Case{"methods: [RANK_MERGE]", "methods: [RANK_MERGE] claims { monotone_tolerance: -1 }",
             "claims"}}) {
    std::string text = Valid();
    ASSERT_NE(text.find(c.from), std::string::npos) << c.from;
    text.replace(text.find(c.from), c.from.size(), c.to);
    const std::string e = ErrorOf(text);
    EXPECT_NE(e.find(c.field), std::string::npos) << c.to << " -> " << e;
    EXPECT_NE(e.find(kPath), std::string::npos) << e;
  }
}

TEST(ConfigCheckTest, OldModelClassOutsideItsOutputs) {
  std::string text = Valid();
  text.replace(text.find("classes: [0, 1]"), 15, "classes: [0, 12]");
  const std::string e = ErrorOf(text);
  EXPECT_NE(e.find("old_model.classes"), std::string::npos) << e;
}

TEST(ConfigCheckTest, AblationNeedsVariants) {
  const std::string e = ErrorOf(Valid(), TableKind::kLossAblation);
  EXPECT_NE(e.find("ablation_variants"), std::string::npos) << e;
  EXPECT_EQ(ErrorOf(Valid() + "\nablation_variants: [JOINT, SEPARATE]", TableKind::kLossAblation),
            "");
}

TEST(ConfigCheckTest, AblationWithNewEmbeddingNeedsRhoAndTheAblationTable) {
  const std::string ablation = Valid() + "\nablation_variants: [SEPARATE, JOINT]";
  // On, but no new_embedding to train.
  std::string e = ErrorOf(ablation + "\nablation_with_new_embedding: true",
                          TableKind::kLossAblation);
  EXPECT_NE(e.find("ablation_with_new_embedding"), std::string::npos) << e;
  EXPECT_NE(e.find("new_embedding"), std::string::npos) << e;
  EXPECT_NE(e.find(kPath), std::string::npos) << e;
  EXPECT_EQ(ErrorOf(ablation + "\nablation_with_new_embedding: true new_embedding { hidden: [4] }",
                    TableKind::kLossAblation),
            "");
  // Set on a table that does not read it.
  e = ErrorOf(Valid() + "\nablation_with_new_embedding: true new_embedding { hidden: [4] }");
  EXPECT_NE(e.find("ablation_with_new_embedding"), std::string::npos) << e;
  EXPECT_NE(e.find("backfill_loss_ablation"), std::string::npos) << e;
  // A repeated variant would be a duplicate row.
  e = ErrorOf(Valid() + "\nablation_variants: [JOINT, JOINT]", TableKind::kLossAblation);
  EXPECT_NE(e.find("ablation_variants"), std::string::npos) << e;
}

}  // namespace
}  // namespace repro::backfill
