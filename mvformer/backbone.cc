#include "mvformer/backbone.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/data/video/sprite_phase.h"
#include "common/train/checkpoint.h"
#include "common/train/classifier_trainer.h"
#include "common/train/seed.h"

namespace repro::mvformer {
namespace {

namespace nn = torch::nn;

constexpr int64_t kRenderCanvas = 20;
constexpr uint64_t kRenderStream = 0x5350524954450001ULL;  // "SPRITE"

torch::nn::Conv2d Conv(int64_t in, int64_t out, int64_t stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}

class SpriteCnnBackbone : public FrameBackbone {
 public:
  SpriteCnnBackbone(SpriteCnn model, int64_t grid) : model_(std::move(model)), grid_(grid) {
    model_->eval();
    for (auto& p : model_->parameters()) p.set_requires_grad(false);
  }

  FrameFeatures Extract(const torch::Tensor& frames) override {
    TORCH_CHECK(frames.dim() == 4 && frames.size(1) == 1, "SpriteCnn backbone: expected grey frames [B, 1, H, W], got ",
                frames.sizes());
    torch::NoGradGuard no_grad;
    const std::vector<torch::Tensor> maps = model_->feature_maps(frames);
    std::vector<torch::Tensor> pooled;
    for (const torch::Tensor& map : maps) {
      pooled.push_back(map.size(2) == grid_ && map.size(3) == grid_
                           ? map
                           : torch::adaptive_avg_pool2d(map, {grid_, grid_}));
    }
    FrameFeatures out;
    out.tokens = torch::cat(pooled, 1).flatten(2).transpose(1, 2).contiguous();  // [B, N, 192]
    out.cls = maps.back().mean({2, 3});                                          // [B, 64]
    return out;
  }
  int64_t grid_height() const override { return grid_; }
  int64_t grid_width() const override { return grid_; }
  std::vector<int64_t> layer_channels() const override { return {64, 64, 64}; }
  int64_t cls_channels() const override { return 64; }

 private:
  SpriteCnn model_;
  int64_t grid_;
};

class DinoVitBackbone : public FrameBackbone {
 public:
  DinoVitBackbone(ViT vit, std::vector<int64_t> blocks) : vit_(std::move(vit)), blocks_(std::move(blocks)) {
    vit_->eval();
    for (auto& p : vit_->parameters()) p.set_requires_grad(false);
  }

  // frames [B, C, H, W] in [0, 1] -> resized to 224, grey repeated to RGB, ImageNet-normalised.
  FrameFeatures Extract(const torch::Tensor& frames) override {
    torch::NoGradGuard no_grad;
    const int64_t size = vit_->options().image_size();
    torch::Tensor x = frames.size(1) == 1 ? frames.expand({-1, 3, -1, -1}) : frames;
    if (x.size(2) != size || x.size(3) != size) {
      x = torch::nn::functional::interpolate(
          x, torch::nn::functional::InterpolateFuncOptions()
                 .size(std::vector<int64_t>{size, size})
                 .mode(torch::kBilinear)
                 .align_corners(false));
    }
    const torch::Tensor mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1});
    const torch::Tensor std = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
    x = (x - mean) / std;
    torch::Tensor z = vit_->patch_embedding->forward(x).flatten(2).transpose(1, 2);  // [B, N, D]
    z = torch::cat({vit_->cls_token.expand({z.size(0), -1, -1}), z}, 1) + vit_->position_embedding;
    std::vector<torch::Tensor> taken;
    int64_t index = 0;
    for (const auto& block : *vit_->encoder->blocks) {
      z = block->as<TransformerBlockImpl>()->forward(z);
      for (int64_t b : blocks_) {
        if (b == index) taken.push_back(z.slice(1, 1));
      }
      ++index;
    }
    FrameFeatures out;
    out.tokens = torch::cat(taken, 2).contiguous();
    out.cls = vit_->encoder->norm->forward(z.select(1, 0));
    return out;
  }
  int64_t grid_height() const override {
    return vit_->options().image_size() / vit_->options().patch_size();
  }
  int64_t grid_width() const override { return grid_height(); }
  std::vector<int64_t> layer_channels() const override {
    return std::vector<int64_t>(blocks_.size(), vit_->options().dim());
  }
  int64_t cls_channels() const override { return vit_->options().dim(); }

 private:
  ViT vit_;
  std::vector<int64_t> blocks_;
};

}  // namespace

SpriteCnnImpl::SpriteCnnImpl(const SpriteCnnOptions& options) : options_(options) {
  conv1 = register_module("conv1", Conv(options.in_channels(), 32, 1));
  conv2 = register_module("conv2", Conv(32, 64, 2));
  conv3 = register_module("conv3", Conv(64, 64, 2));
  conv4 = register_module("conv4", Conv(64, 64, 2));
  head = register_module("head", nn::Linear(64, options.num_classes()));
}

std::vector<torch::Tensor> SpriteCnnImpl::feature_maps(const torch::Tensor& x) {
  const torch::Tensor h1 = torch::relu(conv1->forward(x));
  const torch::Tensor h2 = torch::relu(conv2->forward(h1));
  const torch::Tensor h3 = torch::relu(conv3->forward(h2));
  const torch::Tensor h4 = torch::relu(conv4->forward(h3));
  return {h2, h3, h4};
}

torch::Tensor SpriteCnnImpl::features(const torch::Tensor& x) {
  return feature_maps(x).back().mean({2, 3});
}

torch::Tensor SpriteCnnImpl::logits_from_features(const torch::Tensor& f) { return head->forward(f); }

LabeledImages RenderSpriteImages(const LabeledImages& images, uint64_t seed) {
  const torch::Tensor sprites = DownsampleToSprites(images.images);  // [N, 1, 16, 16]
  const int64_t n = sprites.size(0);
  torch::Generator generator = MakeGenerator(seed, kRenderStream);
  const torch::Tensor intensity =
      torch::rand({n, 1, 1, 1}, generator, torch::kFloat32) * 0.3f + 0.7f;
  const torch::Tensor background = torch::rand({n, 1, 1, 1}, generator, torch::kFloat32) * 0.2f;
  torch::Tensor canvas =
      background + 0.03f * torch::randn({n, 1, kRenderCanvas, kRenderCanvas}, generator, torch::kFloat32);
  const int64_t offset = (kRenderCanvas - sprites.size(2)) / 2;
  torch::Tensor centre = canvas.slice(2, offset, offset + sprites.size(2)).slice(3, offset, offset + sprites.size(3));
  centre.copy_(torch::maximum(centre, sprites * intensity));
  return {canvas.clamp(0.0, 1.0), images.labels};
}

absl::StatusOr<SpriteCnnReport> TrainSpriteCnn(SpriteCnn& model, const FashionMnist& data,
                                               const SpriteCnnTraining& training) {
  LabeledImages train = data.train;
  if (training.max_train_images > 0 && training.max_train_images < train.size()) {
    train = Select(train, torch::arange(training.max_train_images, torch::kInt64));
  }
  TrainOptions options;
  options.epochs = training.epochs;
  options.batch_size = training.batch_size;
  options.optimizer.kind = OptimizerKind::kSgd;
  options.optimizer.lr = training.lr;
  options.optimizer.momentum = 0.9;
  options.optimizer.nesterov = true;
  options.optimizer.weight_decay = 5e-4;
  options.optimizer.no_decay_on_bias_and_norm = true;
  options.augment.crop_padding = 2;
  options.augment.horizontal_flip = true;
  options.seed = training.seed;
  options.checkpoint_path = training.checkpoint_path;
  options.config_text = training.config_text;
  options.log_every = training.log_every;
  options.log_label = "mvformer/sprite_cnn";
  SpriteCnnReport report;
  const int64_t total_steps = training.epochs * (train.size() / training.batch_size);
  if (!training.checkpoint_path.empty() && CheckpointExists(training.checkpoint_path)) {
    // A finished run of the same config is the cached model; anything else resumes below.
    ASSIGN_OR_RETURN(const CheckpointState state,
                     LoadCheckpoint(training.checkpoint_path, *model, /*optimizer=*/nullptr));
    report.loaded_from_cache = state.step >= total_steps && state.config_text == training.config_text;
  }
  if (!report.loaded_from_cache) {
    SeedEverything(training.seed);
    model = SpriteCnn(SpriteCnnOptions().num_classes(model->num_classes()));
    ASSIGN_OR_RETURN(const TrainReport trained,
                     TrainClassifier(*model, RenderSpriteImages(train, training.seed), options));
    report.train_seconds = trained.wall_seconds;
  }
  report.test_accuracy = Evaluate(*model, RenderSpriteImages(data.test, training.seed + 1), 500);
  return report;
}

std::unique_ptr<FrameBackbone> MakeSpriteCnnBackbone(SpriteCnn model, int64_t grid) {
  return std::make_unique<SpriteCnnBackbone>(std::move(model), grid);
}

ViTOptions DinoVitB8Options() {
  return ViTOptions()
      .image_size(224)
      .in_channels(3)
      .patch_size(8)
      .dim(768)
      .depth(12)
      .heads(12)
      .mlp_dim(3072)
      .num_classes(1)
      .layer_norm_eps(1e-6);
}

absl::StatusOr<std::unique_ptr<FrameBackbone>> LoadDinoVitB8Backbone(const std::string& weights,
                                                                      std::vector<int64_t> blocks) {
  if (weights.empty() || !std::filesystem::exists(weights)) {
    return absl::NotFoundError(absl::StrCat(
        "DINO ViT-B/8 weights not found at '", weights,
        "'; convert timm's vit_base_patch8_224.dino into a LibTorch archive of "
        "repro::ViT(DinoVitB8Options()) and set backbone.weights"));
  }
  for (int64_t b : blocks) {
    if (b < 0 || b >= 12) return absl::InvalidArgumentError(absl::StrCat("ViT-B/8 has no block ", b));
  }
  ViT vit(DinoVitB8Options());
  try {
    torch::load(vit, weights);
  } catch (const c10::Error& e) {
    return absl::DataLossError(absl::StrCat("cannot load DINO ViT-B/8 weights from ", weights, ": ",
                                            e.what_without_backtrace()));
  }
  return std::unique_ptr<FrameBackbone>(std::make_unique<DinoVitBackbone>(std::move(vit), std::move(blocks)));
}

}  // namespace repro::mvformer
