#include "common/config/model_factory.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/models/mlp.h"
#include "common/models/resnet.h"
#include "common/models/vit.h"
#include "common/results/text_config.h"

namespace repro {

absl::Status ValidateModelConfig(const ModelConfig& config, const std::string& path,
                                 const std::string& field) {
  auto error = [&](const std::string& sub, const std::string& what) {
    return ConfigError(path, absl::StrCat(field, ".", sub), what);
  };
  if (config.num_classes() <= 0) return error("num_classes", "must be > 0");
  if (config.in_channels() <= 0) return error("in_channels", "must be > 0");
  if (config.image_size() <= 0) return error("image_size", "must be > 0");
  switch (config.arch_case()) {
    case ModelConfig::kResnet: {
      const ResNetConfig& r = config.resnet();
      if (r.widths().empty()) return error("resnet.widths", "is empty");
      if (r.widths_size() != r.blocks_per_stage_size()) {
        return error("resnet.blocks_per_stage", "must have one entry per width");
      }
      for (int64_t w : r.widths()) if (w <= 0) return error("resnet.widths", "must be > 0");
      for (int64_t b : r.blocks_per_stage()) if (b <= 0) return error("resnet.blocks_per_stage", "must be > 0");
      if (!r.block().empty() && r.block() != "basic" && r.block() != "bottleneck") {
        return error("resnet.block", "must be \"basic\" or \"bottleneck\"");
      }
      if (!r.stem().empty() && r.stem() != "cifar" && r.stem() != "imagenet") {
        return error("resnet.stem", "must be \"cifar\" or \"imagenet\"");
      }
      if (r.embedding_dim() < 0) return error("resnet.embedding_dim", "must be >= 0");
      return absl::OkStatus();
    }
    case ModelConfig::kVit: {
      const ViTConfig& v = config.vit();
      if (v.patch_size() <= 0 || config.image_size() % v.patch_size() != 0) {
        return error("vit.patch_size", "must be > 0 and divide image_size");
      }
      if (v.dim() <= 0 || v.heads() <= 0 || v.dim() % v.heads() != 0) {
        return error("vit.heads", "must be > 0 and divide vit.dim");
      }
      if (v.depth() <= 0) return error("vit.depth", "must be > 0");
      if (v.mlp_dim() < 0) return error("vit.mlp_dim", "must be >= 0");
      if (v.dropout() < 0 || v.dropout() >= 1) return error("vit.dropout", "must be in [0, 1)");
      return absl::OkStatus();
    }
    case ModelConfig::kMlp: {
      for (int64_t h : config.mlp().hidden_sizes()) if (h <= 0) return error("mlp.hidden_sizes", "must be > 0");
      if (config.mlp().dropout() < 0 || config.mlp().dropout() >= 1) return error("mlp.dropout", "must be in [0, 1)");
      return absl::OkStatus();
    }
    default:
      return error("arch", "set one of resnet, vit, mlp");
  }
}

absl::StatusOr<std::shared_ptr<Classifier>> MakeClassifier(const ModelConfig& config) {
  absl::Status status = ValidateModelConfig(config, "<model config>", "model");
  if (!status.ok()) return status;
  switch (config.arch_case()) {
    case ModelConfig::kResnet: {
      const ResNetConfig& r = config.resnet();
      ResNetOptions options;
      options.in_channels(config.in_channels())
          .num_classes(config.num_classes())
          .widths({r.widths().begin(), r.widths().end()})
          .blocks_per_stage({r.blocks_per_stage().begin(), r.blocks_per_stage().end()})
          .block(r.block() == "bottleneck" ? ResNetBlock::kBottleneck : ResNetBlock::kBasic)
          .stem(r.stem() == "imagenet" ? ResNetStem::kImageNet : ResNetStem::kCifar)
          .embedding_dim(r.embedding_dim())
          .zero_init_residual(r.zero_init_residual());
      return std::static_pointer_cast<Classifier>(ResNet(options).ptr());
    }
    case ModelConfig::kVit: {
      const ViTConfig& v = config.vit();
      ViTOptions options;
      options.image_size(config.image_size())
          .in_channels(config.in_channels())
          .patch_size(v.patch_size())
          .dim(v.dim())
          .depth(v.depth())
          .heads(v.heads())
          .mlp_dim(v.mlp_dim())
          .num_classes(config.num_classes())
          .dropout(v.dropout());
      return std::static_pointer_cast<Classifier>(ViT(options).ptr());
    }
    case ModelConfig::kMlp: {
      const MLPConfig& m = config.mlp();
      MLPOptions options;
      options.in_features(config.in_channels() * config.image_size() * config.image_size())
          .hidden_sizes({m.hidden_sizes().begin(), m.hidden_sizes().end()})
          .num_classes(config.num_classes())
          .batch_norm(m.batch_norm())
          .dropout(m.dropout());
      return std::static_pointer_cast<Classifier>(MLP(options).ptr());
    }
    default:
      return absl::InvalidArgumentError("model config sets no architecture");
  }
}

std::string ModelName(const ModelConfig& config) {
  switch (config.arch_case()) {
    case ModelConfig::kResnet:
      return absl::StrCat("ResNet ", absl::StrJoin(config.resnet().widths(), "/"), " (",
                          absl::StrJoin(config.resnet().blocks_per_stage(), "-"), ")");
    case ModelConfig::kVit:
      return absl::StrCat("ViT d", config.vit().dim(), "x", config.vit().depth(), " p",
                          config.vit().patch_size());
    case ModelConfig::kMlp:
      return absl::StrCat("MLP ", absl::StrJoin(config.mlp().hidden_sizes(), "-"));
    default:
      return "unset";
  }
}

}  // namespace repro
