#include "mvformer/runner.h"

#include <filesystem>

#include "common/data/test_files.h"
#include "common/data/video/frame_folder.h"
#include "common/data/video/sprite_phase.h"
#include "common/data/video/test_sprites.h"
#include "gtest/gtest.h"

namespace repro::mvformer {
namespace {

// Copies of the smoke configs (tests do not read experiments/: papers do not depend on it).
constexpr char kMain[] = R"pb(experiment {
  title: "MV-Former vs late fusion (SpritePhase: relational R1 and control C0)"
  mirrors: "Penn Action main table (class., progress, τ, AP@5/10/15)"
  scale: SMOKE
  seeds: [1]
  data { name: SYNTHETIC_VIDEO }
  notes: "smoke scale: proves the pipeline end to end in seconds; no claim is judged at this scale"
}
data {
  source: SPRITE_PHASE
  actions: ["fetch", "orbit"]
  train_per_action: 2
  val_per_action: 2
  max_distractors: 2
  data_seed: 1000
  timing: RANDOM_DURATIONS
}
variants: [RELATIONAL, CONTROL]
backbone {
  kind: SPRITE_CNN
  train_epochs: 1
  batch_size: 128
  lr: 0.05
  max_train_images: 512
  seed: 7
  augmented_copies: 1
  max_shift: 4
  contrast_jitter: 0.2
  brightness_jitter: 0.1
  chunk_frames: 256
}
base_model {
  front_end: LSTP
  entities: 3
  layers: MULTI_LAYER
  pool_dim: 16
  fc_dim: 32
  hidden_dim: 16
  encoder_layers: 1
  heads: 2
  ff_dim: 32
  dropout: 0.1
  read_out: ONE
  embedding_dim: 8
  projection_dim: 8
  position_dims: 16
}
train {
  steps: 3
  batch_videos: 2
  num_frames: 12
  lr: 1e-3
  weight_decay: 1e-5
  clip_grad_norm: 10
  sampling_region: 1.5
  temperature: 0.1
  label_variance: 10
  log_every: 0
}
eval {
  tau_stride: 2
  retrieval_stride: 2
  ks: [5, 10, 15]
  train_fraction: 1
  logistic_c: 1
  embed_batch_videos: 16
}
rows { label: "late fusion CLS" model { front_end: LATE_CLS entities: 1 } }
rows { label: "late fusion avg" model { front_end: LATE_AVG entities: 1 } }
rows { label: "late fusion max" model { front_end: LATE_MAX entities: 1 } }
rows { label: "MV-Former (LSTP, E = 3)" }
claims {
  id: "beats_late_fusion"
  text: "MV-Former beats every late-fusion baseline (CLS, avg, max) on phase classification and Kendall's tau on the relational variant R1"
  kind: BEATS
  row: "MV-Former (LSTP, E = 3)"
  others: ["late fusion CLS", "late fusion avg", "late fusion max"]
  metrics: ["classification", "kendall_tau"]
  variant: RELATIONAL
  min_gain: 0
}
claims {
  id: "gain_larger_on_relational"
  text: "MV-Former's gain over the best late-fusion baseline is larger on the relational variant R1 than on the control C0 (where one vector per frame suffices)"
  kind: GAIN_LARGER_ON
  row: "MV-Former (LSTP, E = 3)"
  others: ["late fusion CLS", "late fusion avg", "late fusion max"]
  metrics: ["classification", "kendall_tau"]
  variant: RELATIONAL
  versus_variant: CONTROL
  min_gain: 0
}
reported {
  title: "Penn Action (13 actions), as reported"
  note: "reported at paper scale (Penn Action, DINO ViT-B/8); MV-Former's own numbers were not available when the spec was written (TBD-PDF); CARL's are recalled from its paper, unverified"
  columns: ["class. (%)", "progress (R²)", "τ", "AP@5 (%)", "AP@10 (%)", "AP@15 (%)"]
  rows { label: "MV-Former" cells: ["not available (TBD-PDF)", "not available (TBD-PDF)", "not available (TBD-PDF)", "not available (TBD-PDF)", "not available (TBD-PDF)", "not available (TBD-PDF)"] }
  rows { label: "CARL (peer, recalled)" cells: ["93.07", "0.918", "0.985", "92.28", "92.10", "91.82"] }
}
)pb";
constexpr char kAttention[] = R"pb(experiment {
  title: "Where the LSTP queries look (SpritePhase R1)"
  mirrors: "the paper's LSTP attention-map figures (qualitative), measured as attention mass on entity masks"
  scale: SMOKE
  seeds: [1]
  data { name: SYNTHETIC_VIDEO }
  notes: "smoke scale: proves the pipeline end to end in seconds; no claim is judged at this scale"
}
data {
  source: SPRITE_PHASE
  actions: ["fetch", "orbit"]
  train_per_action: 2
  val_per_action: 2
  max_distractors: 2
  data_seed: 1000
  timing: RANDOM_DURATIONS
}
variants: [RELATIONAL]
backbone {
  kind: SPRITE_CNN
  train_epochs: 1
  batch_size: 128
  lr: 0.05
  max_train_images: 512
  seed: 7
  augmented_copies: 1
  max_shift: 4
  contrast_jitter: 0.2
  brightness_jitter: 0.1
  chunk_frames: 256
}
base_model {
  front_end: LSTP
  entities: 3
  layers: MULTI_LAYER
  pool_dim: 16
  fc_dim: 32
  hidden_dim: 16
  encoder_layers: 1
  heads: 2
  ff_dim: 32
  dropout: 0.1
  read_out: ONE
  embedding_dim: 8
  projection_dim: 8
  position_dims: 16
}
train {
  steps: 3
  batch_videos: 2
  num_frames: 12
  lr: 1e-3
  weight_decay: 1e-5
  clip_grad_norm: 10
  sampling_region: 1.5
  temperature: 0.1
  label_variance: 10
  log_every: 0
}
eval {
  tau_stride: 2
  retrieval_stride: 2
  ks: [5, 10, 15]
  train_fraction: 1
  logistic_c: 1
  embed_batch_videos: 16
}
rows { label: "MV-Former (LSTP, E = 3)" }
attention { row: "MV-Former (LSTP, E = 3)" picture_frames: 2 }
claims {
  id: "attention_on_entities"
  text: "LSTP queries put more attention mass on the entities (actor, object, distractors) than a uniform map would (mean over queries)"
  kind: ATTENTION_ABOVE_UNIFORM
  row: "MV-Former (LSTP, E = 3)"
  min_ratio: 1.0
}
claims {
  id: "every_query_on_entities"
  text: "Every LSTP query puts more attention mass on the entities than a uniform map would"
  kind: ATTENTION_ABOVE_UNIFORM
  row: "MV-Former (LSTP, E = 3)"
  min_ratio: 1.0
  every_query: true
}
)pb";

std::string ReadConfig(const std::string& table) {
  return table == "mvformer_main" ? kMain : kAttention;
}

// The smoke config of `table` with `from` replaced by `to`.
std::string Edited(const std::string& table, const std::string& from, const std::string& to) {
  std::string text = ReadConfig(table);
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

std::string Error(const std::string& text, const std::string& path, TableKind kind) {
  const auto config = ParseMvformerConfig(text, path, kind);
  return config.ok() ? "" : std::string(config.status().message());
}

TEST(ParseMvformerConfigTest, SmokeConfigsAreValid) {
  EXPECT_EQ(Error(kMain, "experiments/mvformer/mvformer_main.smoke.pbtxt", TableKind::kMain), "");
  EXPECT_EQ(Error(kAttention, "experiments/mvformer/mvformer_attention.smoke.pbtxt", TableKind::kAttention), "");
  // The attention table's own claim kind is refused elsewhere.
  EXPECT_NE(Error(kAttention, "experiments/mvformer/mvformer_attention.smoke.pbtxt", TableKind::kMain)
                .find("ATTENTION_ABOVE_UNIFORM is for the attention table"),
            std::string::npos);
}

TEST(ParseMvformerConfigTest, ErrorsNameTheFileAndField) {
  const std::string path = "experiments/mvformer/mvformer_main.smoke.pbtxt";
  EXPECT_NE(Error(Edited("mvformer_main", "front_end: LATE_CLS entities: 1", "front_end: LATE_CLS entities: 3"),
                  path, TableKind::kMain)
                .find("rows[0].model.entities"),
            std::string::npos);
  EXPECT_NE(Error(Edited("mvformer_main", "\"kendall_tau\"", "\"kendal_tau\""), path, TableKind::kMain)
                .find("unknown metric 'kendal_tau'"),
            std::string::npos);
  EXPECT_NE(Error(Edited("mvformer_main", "others: [\"late fusion CLS\"", "others: [\"late fusion XYZ\""), path,
                  TableKind::kMain)
                .find("claims[0].others"),
            std::string::npos);
  EXPECT_NE(Error(Edited("mvformer_main", "temperature: 0.1", "temperature: 0"), path, TableKind::kMain)
                .find("'train'"),
            std::string::npos);
  EXPECT_NE(Error(Edited("mvformer_main", "timing: RANDOM_DURATIONS", ""), path, TableKind::kMain)
                .find("data.timing"),
            std::string::npos);
  // A syntax error names the line.
  EXPECT_NE(Error(Edited("mvformer_main", "steps: 3", "steps: three"), path, TableKind::kMain)
                .find("mvformer_main.smoke.pbtxt:"),
            std::string::npos);
  const std::string attention = "experiments/mvformer/mvformer_attention.smoke.pbtxt";
  EXPECT_NE(Error(Edited("mvformer_attention", "picture_frames: 2", "picture_frames: 0"), attention,
                  TableKind::kAttention)
                .find("attention.picture_frames"),
            std::string::npos);
}

TEST(ResolveModelTest, RowFieldsOverrideTheBase) {
  ModelConfig base;
  base.set_front_end(ModelConfig::LSTP);
  base.set_entities(3);
  base.set_layers(ModelConfig::MULTI_LAYER);
  ModelConfig row;
  row.set_layers(ModelConfig::LAST_LAYER);
  const ModelConfig m = ResolveModel(base, row);
  EXPECT_EQ(m.front_end(), ModelConfig::LSTP);
  EXPECT_EQ(m.entities(), 3);
  EXPECT_EQ(m.layers(), ModelConfig::LAST_LAYER);
}

// The frame-folder path end to end at the data boundary: a missing frame stops the run with one
// error naming the video.
TEST(WorkspaceTest, FrameFolderWithMissingFrameNamesTheVideo) {
  SpritePhaseOptions options;
  options.actions = {"fetch"};
  options.train_per_action = 2;
  options.val_per_action = 2;
  const auto data = GenerateSpritePhase(options, testing::SquareSprites(1.0f), testing::SquareSprites(0.5f));
  ASSERT_TRUE(data.ok());
  const std::string root = testing::TempPath("frames");
  ASSERT_TRUE(WriteFrameFolderDataset(*data, root).ok());
  std::filesystem::remove(root + "/frames/val_fetch_0001/000007.png");
  std::string text = Edited("mvformer_main", R"(source: SPRITE_PHASE
  actions: ["fetch", "orbit"]
  train_per_action: 2
  val_per_action: 2
  max_distractors: 2
  data_seed: 1000)", "source: FRAME_FOLDERS frame_size: 64");
  text.replace(text.find("variants: [RELATIONAL, CONTROL]\n"), 32, "");
  text.replace(text.find("data { name: SYNTHETIC_VIDEO }"), 30, "data { name: PENN_ACTION path: \"" + root + "\" }");
  text.replace(text.find("variant: RELATIONAL\n"), 19, "");
  const size_t second = text.find("claims {", text.find("claims {") + 1);
  text.erase(second, text.find("reported {") - second);
  const std::string path = "experiments/mvformer/mvformer_main.smoke.pbtxt";
  const auto config = ParseMvformerConfig(text, path, TableKind::kMain);
  ASSERT_TRUE(config.ok()) << config.status();
  TableRun run;
  run.config_path = path;
  run.config_text = text;
  run.cache_dir = testing::TempPath("cache");
  run.fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";
  Workspace workspace(*config, run);
  const auto prepared = workspace.Prepare(VARIANT_UNSPECIFIED, false);
  ASSERT_FALSE(prepared.ok());
  EXPECT_NE(prepared.status().message().find("video val_fetch_0001: missing frame"), std::string::npos)
      << prepared.status();
}

}  // namespace
}  // namespace repro::mvformer
