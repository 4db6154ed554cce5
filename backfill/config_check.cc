#include "backfill/config_check.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/config/model_factory.h"
#include "common/config/train_options.h"
#include "common/port/status_macros.h"
#include "common/results/text_config.h"
#include "experiments/experiment.h"

namespace repro::backfill {
namespace {

absl::Status CheckBackbone(const Backbone& b, const std::string& path, const std::string& field) {
  RETURN_IF_ERROR(ValidateModelConfig(b.model(), path, absl::StrCat(field, ".model")));
  RETURN_IF_ERROR(ValidateTrainConfig(b.train(), path, absl::StrCat(field, ".train")));
  if (b.fraction() < 0 || b.fraction() > 1) {
    return ConfigError(path, absl::StrCat(field, ".fraction"), "must be in [0, 1]");
  }
  for (int64_t c : b.classes()) {
    if (c < 0 || (b.model().num_classes() > 0 && c >= b.model().num_classes())) {
      return ConfigError(path, absl::StrCat(field, ".classes"),
                         absl::StrCat("has class ", c, ", outside the model's ",
                                      b.model().num_classes(), " outputs"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateConfig(const Config& config, const std::string& path, TableKind kind) {
  RETURN_IF_ERROR(ValidateExperiment(config.experiment(), path));
  RETURN_IF_ERROR(CheckBackbone(config.new_model(), path, "new_model"));
  if (config.settings().empty()) return ConfigError(path, "settings", "needs at least one setting");
  std::set<std::string> names;
  for (const Setting& s : config.settings()) {
    if (s.name().empty()) return ConfigError(path, "settings.name", "is empty");
    if (!names.insert(s.name()).second) {
      return ConfigError(path, "settings.name", absl::StrCat("'", s.name(), "' is repeated"));
    }
    RETURN_IF_ERROR(CheckBackbone(s.old_model(), path,
                                  absl::StrCat("settings '", s.name(), "' old_model")));
  }
  if (config.bct().influence_weight() < 0) {
    return ConfigError(path, "bct.influence_weight", "must be >= 0");
  }
  const Psi& psi = config.psi();
  if (psi.epochs() < 1) return ConfigError(path, "psi.epochs", "must be >= 1");
  if (psi.batch_size() < 2) return ConfigError(path, "psi.batch_size", "must be >= 2");
  if (psi.lr() <= 0) return ConfigError(path, "psi.lr", "must be > 0");
  if (psi.train_items() < 0) return ConfigError(path, "psi.train_items", "must be >= 0");
  for (int64_t h : psi.hidden()) {
    if (h < 1) return ConfigError(path, "psi.hidden", "widths must be >= 1");
  }
  const Mcl& mcl = config.mcl();
  if (mcl.temperature() <= 0) return ConfigError(path, "mcl.temperature", "must be > 0");
  if (mcl.weight() < 0) return ConfigError(path, "mcl.weight", "must be >= 0");
  if (mcl.epochs() < 1) return ConfigError(path, "mcl.epochs", "must be >= 1");
  if (mcl.batch_size() < 2) return ConfigError(path, "mcl.batch_size", "must be >= 2");
  if (mcl.lr() <= 0) return ConfigError(path, "mcl.lr", "must be > 0");
  if (mcl.variant() == MCL_LOSS_VARIANT_UNSPECIFIED) {
    return ConfigError(path, "mcl.variant", "is not set (OLD_ONLY, NEW_ONLY, SEPARATE or JOINT)");
  }
  for (int64_t h : config.new_embedding().hidden()) {
    if (h < 1) return ConfigError(path, "new_embedding.hidden", "widths must be >= 1");
  }
  const Protocol& p = config.protocol();
  if (p.num_steps() < 1) return ConfigError(path, "protocol.num_steps", "must be >= 1");
  if (p.queries_per_class() < 0) {
    return ConfigError(path, "protocol.queries_per_class", "must be >= 0 (0: every image)");
  }
  bool has_one = false;
  for (int64_t k : p.cmc_ks()) {
    if (k < 1) return ConfigError(path, "protocol.cmc_ks", "ranks must be >= 1");
    has_one |= k == 1;
  }
  if (!has_one) return ConfigError(path, "protocol.cmc_ks", "must include 1 (CMC top-1)");
  if (p.order() == EXPLICIT && p.explicit_order().empty()) {
    return ConfigError(path, "protocol.explicit_order", "is empty but protocol.order is EXPLICIT");
  }
  if (p.order() != EXPLICIT && !p.explicit_order().empty()) {
    return ConfigError(path, "protocol.explicit_order", "is set but protocol.order is not EXPLICIT");
  }
  if (p.embed_batch_size() < 0) return ConfigError(path, "protocol.embed_batch_size", "must be >= 0");

  if (kind == TableKind::kMain || kind == TableKind::kCurves) {
    if (config.methods().empty()) return ConfigError(path, "methods", "needs at least one method");
    std::set<int> seen;
    for (int m : config.methods()) {
      if (m == METHOD_UNSPECIFIED) return ConfigError(path, "methods", "has an unset method");
      if (!seen.insert(m).second) {
        return ConfigError(path, "methods", absl::StrCat(Method_Name(m), " is repeated"));
      }
    }
  }
  if (kind == TableKind::kLossAblation) {
    if (config.ablation_variants().empty()) {
      return ConfigError(path, "ablation_variants", "needs at least one MCL variant");
    }
    std::set<int> seen;
    for (int v : config.ablation_variants()) {
      if (v == MCL_LOSS_VARIANT_UNSPECIFIED) {
        return ConfigError(path, "ablation_variants", "has an unset variant");
      }
      if (!seen.insert(v).second) {
        return ConfigError(path, "ablation_variants",
                           absl::StrCat(MclLossVariant_Name(v), " is repeated"));
      }
    }
    if (config.ablation_with_new_embedding() && !config.has_new_embedding()) {
      return ConfigError(path, "ablation_with_new_embedding",
                         "is true but new_embedding (the learnable new embedding ρ it trains, "
                         "e.g. new_embedding { hidden: [128] }) is not set");
    }
  } else if (config.ablation_with_new_embedding()) {
    return ConfigError(path, "ablation_with_new_embedding",
                       "is only read by backfill_loss_ablation; remove it from this table's "
                       "config");
  }
  const Claims& c = config.claims();
  if (c.endpoint_tolerance() < 0 || c.monotone_tolerance() < 0 || c.auc_margin() < 0 ||
      c.bct_margin() < 0 || c.ablation_auc_margin() < 0 || c.nfr_margin() < 0) {
    return ConfigError(path, "claims", "tolerances and margins must be >= 0");
  }
  for (const Reported& r : config.reported()) {
    for (const Reported::Row& row : r.rows()) {
      if (row.cells_size() != r.columns_size()) {
        return ConfigError(path, "reported.rows.cells",
                           absl::StrCat("row '", row.label(), "' has ", row.cells_size(),
                                        " cells for ", r.columns_size(), " columns"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Config> ParseConfig(const std::string& text, const std::string& path,
                                   TableKind kind) {
  Config config;
  RETURN_IF_ERROR(ParseTextConfig(text, path, &config));
  RETURN_IF_ERROR(ValidateConfig(config, path, kind));
  return config;
}

}  // namespace repro::backfill
