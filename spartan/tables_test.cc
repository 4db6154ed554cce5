// Bad input for the Spartan tables: each config error is one line naming the file and the field,
// found by validation, i.e. before anything trains (//experiments:reproduce validates every
// selected config first and exits non-zero on the first error).
#include "spartan/tables.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace repro::spartan {
namespace {

constexpr char kPath[] = "experiments/spartan/spartan_resnet.smoke.pbtxt";

std::string ResnetConfig(const std::string& extra_sparsity, const std::string& sparsities) {
  return absl::StrCat(R"pb(
    experiment {
      title: "t" scale: SMOKE seeds: [1]
      data { name: FASHION_MNIST max_train: 64 max_test: 64 }
    }
    setup {
      model {
        resnet { widths: [4, 8] blocks_per_stage: [1, 1] }
        num_classes: 10 in_channels: 1 image_size: 28
      }
      train { epochs: 1 batch_size: 32 optimizer { kind: "sgd" lr: 0.1 } }
      eval_batch_size: 64
      sparsity { )pb",
                      extra_sparsity, R"pb( }
    }
    methods: [MAGNITUDE, SPARTAN]
    sparsities: )pb",
                      sparsities, "\n");
}

std::string Error(const absl::Status& status) {
  return status.ok() ? "ok" : std::string(status.message());
}

TEST(TablesTest, GoodConfigValidates) {
  EXPECT_EQ(Error(ValidateResnetTable(ResnetConfig("", "[0.5, 0.9]"), kPath)), "ok");
}

TEST(TablesTest, TargetSparsityOutsideTheUnitIntervalIsRejected) {
  EXPECT_EQ(Error(ValidateResnetTable(ResnetConfig("", "[0.5, 1.0]"), kPath)),
            absl::StrCat(kPath, ": field 'sparsities[1] (magnitude pruning (GMP)).target_sparsity' "
                                "1 is outside [0, 1)"));
  EXPECT_EQ(Error(ValidateResnetTable(ResnetConfig("", "[-0.2]"), kPath)),
            absl::StrCat(kPath, ": field 'sparsities[0] (magnitude pruning (GMP)).target_sparsity' "
                                "-0.2 is outside [0, 1)"));
}

TEST(TablesTest, BlockShapeThatDoesNotDivideAWeightIsRejected) {
  EXPECT_EQ(Error(ValidateResnetTable(ResnetConfig("block_rows: 3 block_cols: 3", "[0.5]"), kPath)),
            absl::StrCat(kPath, ": field 'sparsities[0] (magnitude pruning (GMP))' block shape 3x3 "
                                "does not divide the weight of 'stem.0' (shape [4, 1, 3, 3]); choose "
                                "a block shape that divides it or exclude the layer with "
                                "module_prefixes"));
}

TEST(TablesTest, CostModelOfTheWrongSizeIsRejected) {
  EXPECT_EQ(Error(ValidateResnetTable(
                ResnetConfig("cost_model: LAYER_COSTS layer_costs: [1, 2, 3]", "[0.5]"), kPath)),
            absl::StrCat(kPath, ": field 'sparsities[0] (magnitude pruning (GMP))' cost model has "
                                "3 layer costs but the model has 7 masked layers"));
}

TEST(TablesTest, UnreachableTargetIsRejected) {
  const std::string error = Error(ValidateResnetTable(ResnetConfig("", "[0.995]"), kPath));
  EXPECT_NE(error.find("target sparsity 0.995 is unreachable"), std::string::npos) << error;
}

TEST(TablesTest, VitBlockShapeMustDivideTheEncoderWeights) {
  const std::string config = R"pb(
    experiment {
      title: "t" scale: SMOKE seeds: [1]
      data { name: FASHION_MNIST max_train: 64 max_test: 64 }
    }
    setup {
      model {
        vit { patch_size: 7 dim: 16 depth: 1 heads: 2 mlp_dim: 32 }
        num_classes: 10 in_channels: 1 image_size: 28
      }
      train { epochs: 1 batch_size: 32 optimizer { kind: "adamw" lr: 0.001 } }
      eval_batch_size: 64
      sparsity { module_prefixes: ["encoder."] adjust_for_unmasked: false }
    }
    target_sparsity: 0.9
    block_shapes { rows: 8 cols: 8 }
    block_shapes { rows: 5 cols: 5 }
    methods: [SPARTAN]
  )pb";
  const std::string error =
      Error(ValidateVitBlocksTable(config, "experiments/spartan/spartan_vit_blocks.smoke.pbtxt"));
  EXPECT_NE(error.find("field 'block_shapes[1]' block shape 5x5 does not divide the weight of "
                       "'encoder.blocks.0.attention.qkv' (shape [48, 16])"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace repro::spartan
