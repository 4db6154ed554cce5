#include "bt2/table_config.h"

#include <functional>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/port/status_macros.h"
#include "common/results/text_config.h"
#include "experiments/experiment.h"
#include "google/protobuf/text_format.h"

namespace repro::bt2 {
namespace {

std::string ModelField(int index, const ModelSpec& spec, const std::string& field) {
  return absl::StrCat("models[", index, "] ('", spec.name(), "').", field);
}

absl::Status ValidateTrain(const Train& train, const std::string& path, const std::string& field) {
  if (train.epochs() <= 0) return ConfigError(path, field + ".epochs", "must be > 0");
  if (train.batch_size() <= 0) return ConfigError(path, field + ".batch_size", "must be > 0");
  if (train.optimizer() != "adam" && train.optimizer() != "adamw" && train.optimizer() != "sgd") {
    return ConfigError(path, field + ".optimizer",
                       absl::StrCat("is '", train.optimizer(), "'; use adam, adamw or sgd"));
  }
  if (!(train.lr() > 0)) return ConfigError(path, field + ".lr", "must be > 0");
  if (train.momentum() < 0 || train.weight_decay() < 0) {
    return ConfigError(path, field + ".momentum/weight_decay", "must be >= 0");
  }
  if (train.schedule() != "cosine" && train.schedule() != "constant") {
    return ConfigError(path, field + ".schedule",
                       absl::StrCat("is '", train.schedule(), "'; use cosine or constant"));
  }
  if (train.warmup_epochs() < 0 || train.warmup_epochs() >= train.epochs()) {
    return ConfigError(path, field + ".warmup_epochs", "must be in [0, epochs)");
  }
  if (train.label_smoothing() < 0 || train.label_smoothing() >= 1) {
    return ConfigError(path, field + ".label_smoothing", "must be in [0, 1)");
  }
  if (train.log_every() < 0) return ConfigError(path, field + ".log_every", "must be >= 0");
  return absl::OkStatus();
}

absl::Status ValidateTrunk(const Trunk& trunk, const std::string& path, const std::string& field) {
  if (trunk.input_resize() < 0) return ConfigError(path, field + ".input_resize", "must be >= 0");
  switch (trunk.arch_case()) {
    case Trunk::kMlp:
      for (int64_t size : trunk.mlp().hidden_sizes()) {
        if (size <= 0) return ConfigError(path, field + ".mlp.hidden_sizes", "must be > 0");
      }
      return absl::OkStatus();
    case Trunk::kCnn:
      if (trunk.cnn().channels().empty()) {
        return ConfigError(path, field + ".cnn.channels", "needs at least one layer");
      }
      for (int64_t c : trunk.cnn().channels()) {
        if (c <= 0) return ConfigError(path, field + ".cnn.channels", "must be > 0");
      }
      return absl::OkStatus();
    case Trunk::kResnet:
      if (trunk.resnet().depth() != 18 && trunk.resnet().depth() != 50) {
        return ConfigError(path, field + ".resnet.depth", "must be 18 or 50");
      }
      return absl::OkStatus();
    default:
      return ConfigError(path, field, "needs one of mlp, cnn, resnet");
  }
}

absl::Status ValidateOperand(const Operand& operand, const std::set<std::string>& rows,
                             const std::string& path, const std::string& field) {
  if (operand.row().empty()) return absl::OkStatus();  // a constant
  if (rows.count(operand.row()) == 0) {
    return ConfigError(path, field + ".row",
                       absl::StrCat("names '", operand.row(), "', which is no case or matrix cell"));
  }
  if (operand.metric() != kTop1 && operand.metric() != kMap) {
    return ConfigError(path, field + ".metric",
                       absl::StrCat("is '", operand.metric(), "'; use Top-1 or mAP"));
  }
  return absl::OkStatus();
}

}  // namespace

const ModelSpec* FindModel(const TableConfig& config, const std::string& name) {
  for (const ModelSpec& spec : config.models()) {
    if (spec.name() == name) return &spec;
  }
  return nullptr;
}

int64_t EmbeddingDim(const ModelSpec& spec) {
  return spec.kind() == ModelSpec::BT2 ? spec.embedding_dim() + spec.extra_dims()
                                       : spec.embedding_dim();
}

std::vector<RowSpec> TableRows(const TableConfig& config) {
  std::vector<RowSpec> rows;
  for (const Case& c : config.cases()) rows.push_back({c.label(), c.query(), c.gallery()});
  const CrossMatrix& matrix = config.cross_matrix();
  for (int q = 0; q < matrix.models_size(); ++q) {
    for (int g = 0; g < matrix.models_size(); ++g) {
      rows.push_back({absl::StrCat(matrix.labels(q), "/", matrix.labels(g)), matrix.models(q),
                      matrix.models(g)});
    }
  }
  return rows;
}

std::vector<std::string> ModelsInTrainingOrder(const TableConfig& config) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (name.empty() || seen.count(name) > 0) return;
    seen.insert(name);
    const ModelSpec* spec = FindModel(config, name);
    if (spec == nullptr) return;
    visit(spec->old_model());
    visit(spec->teacher());
    order.push_back(name);
  };
  for (const RowSpec& row : TableRows(config)) {
    visit(row.query);
    visit(row.gallery);
  }
  return order;
}

std::string ModelCacheKey(const TableConfig& config, const std::string& name, uint64_t seed) {
  const ModelSpec* spec = FindModel(config, name);
  if (spec == nullptr) return "";
  ModelSpec copy = *spec;
  copy.clear_name();
  copy.clear_checkpoint();
  copy.mutable_train()->clear_log_every();
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.PrintToString(copy, &text);
  const repro::DataSet& data = config.experiment().data();
  std::string key = absl::StrCat("bt2-model-v1 {", text, "} data {",
                                 repro::DataSet::Name_Name(data.name()), " max_train ",
                                 data.max_train(), "} seed ", seed);
  if (!spec->old_model().empty()) {
    absl::StrAppend(&key, " old {", ModelCacheKey(config, spec->old_model(), seed), "}");
  }
  if (!spec->teacher().empty()) {
    absl::StrAppend(&key, " teacher {", ModelCacheKey(config, spec->teacher(), seed), "}");
  }
  return key;
}

absl::Status ValidateTableConfig(const TableConfig& config, const std::string& path) {
  RETURN_IF_ERROR(ValidateExperiment(config.experiment(), path));
  if (config.eval().queries_per_class() < 0) {
    return ConfigError(path, "eval.queries_per_class", "must be >= 0 (0: every test image)");
  }
  // Models.
  std::map<std::string, int> index_of;
  for (int i = 0; i < config.models_size(); ++i) {
    const ModelSpec& spec = config.models(i);
    if (spec.name().empty()) return ConfigError(path, absl::StrCat("models[", i, "].name"), "is empty");
    if (!index_of.emplace(spec.name(), i).second) {
      return ConfigError(path, ModelField(i, spec, "name"), "is used by two models");
    }
  }
  for (int i = 0; i < config.models_size(); ++i) {
    const ModelSpec& spec = config.models(i);
    if (spec.kind() == ModelSpec::KIND_UNSPECIFIED) {
      return ConfigError(path, ModelField(i, spec, "kind"), "must be INDEPENDENT, BCT or BT2");
    }
    RETURN_IF_ERROR(ValidateTrunk(spec.trunk(), path, ModelField(i, spec, "trunk")));
    if (spec.embedding_dim() <= 0) {
      return ConfigError(path, ModelField(i, spec, "embedding_dim"), "must be > 0");
    }
    for (int64_t c : spec.train_data().classes()) {
      if (c < 0) return ConfigError(path, ModelField(i, spec, "train_data.classes"), "must be >= 0");
    }
    if (spec.train_data().fraction() < 0 || spec.train_data().fraction() > 1) {
      return ConfigError(path, ModelField(i, spec, "train_data.fraction"), "must be in [0, 1]");
    }
    RETURN_IF_ERROR(ValidateTrain(spec.train(), path, ModelField(i, spec, "train")));
    const bool needs_old = spec.kind() != ModelSpec::INDEPENDENT;
    if (needs_old != !spec.old_model().empty()) {
      return ConfigError(path, ModelField(i, spec, "old_model"),
                         needs_old ? "is required for BCT and BT2" : "is only for BCT and BT2");
    }
    if (needs_old) {
      if (spec.old_model() == spec.name()) {
        return ConfigError(path, ModelField(i, spec, "old_model"), "names the model itself");
      }
      if (index_of.count(spec.old_model()) == 0) {
        return ConfigError(path, ModelField(i, spec, "old_model"),
                           absl::StrCat("names '", spec.old_model(), "', which is not a model"));
      }
      if (!(spec.influence_weight() >= 0)) {
        return ConfigError(path, ModelField(i, spec, "influence_weight"), "must be >= 0");
      }
    }
    if (spec.kind() == ModelSpec::BCT) {
      const ModelSpec& old = config.models(index_of.at(spec.old_model()));
      if (spec.embedding_dim() < EmbeddingDim(old)) {
        return ConfigError(path, ModelField(i, spec, "embedding_dim"),
                           absl::StrCat("is ", spec.embedding_dim(), " but the old model '",
                                        old.name(), "' has ", EmbeddingDim(old),
                                        " dims; BCT needs at least as many"));
      }
    }
    const bool bt2 = spec.kind() == ModelSpec::BT2;
    if (!bt2 && (!spec.teacher().empty() || spec.extra_dims() != 0 || spec.norm_c() != 0 ||
                 spec.new_match_weight() != 0 || spec.old_match_weight() != 0 ||
                 spec.unconstrained_maps())) {
      return ConfigError(path, ModelField(i, spec, "teacher/extra_dims/norm_c/..."),
                         "are BT2-only fields");
    }
    if (bt2) {
      if (index_of.count(spec.teacher()) == 0) {
        return ConfigError(path, ModelField(i, spec, "teacher"),
                           absl::StrCat("names '", spec.teacher(), "', which is not a model"));
      }
      const ModelSpec& teacher = config.models(index_of.at(spec.teacher()));
      if (teacher.kind() != ModelSpec::INDEPENDENT || teacher.embedding_dim() != spec.embedding_dim()) {
        return ConfigError(path, ModelField(i, spec, "teacher"),
                           absl::StrCat("must be an INDEPENDENT model with embedding_dim ",
                                        spec.embedding_dim(), " (d_new)"));
      }
      const int64_t d_old = EmbeddingDim(config.models(index_of.at(spec.old_model())));
      const int64_t k = spec.extra_dims();
      if (k < 0 || k > d_old || d_old - k > spec.embedding_dim()) {
        return ConfigError(path, ModelField(i, spec, "extra_dims"),
                           absl::StrCat("is ", k, "; BT² needs 0 <= k <= d_old (", d_old,
                                        ") and d_old - k <= d_new (", spec.embedding_dim(), ")"));
      }
      if (!(spec.norm_c() > 0)) return ConfigError(path, ModelField(i, spec, "norm_c"), "must be > 0");
      if (spec.new_match_weight() < 0 || spec.old_match_weight() < 0) {
        return ConfigError(path, ModelField(i, spec, "new_match_weight/old_match_weight"),
                           "must be >= 0");
      }
    }
  }
  // No cycles through old_model / teacher.
  for (const ModelSpec& spec : config.models()) {
    std::set<std::string> chain;
    std::function<bool(const std::string&)> acyclic = [&](const std::string& name) -> bool {
      if (name.empty()) return true;
      if (!chain.insert(name).second) return false;
      const ModelSpec* m = FindModel(config, name);
      const bool ok = m == nullptr || (acyclic(m->old_model()) && acyclic(m->teacher()));
      chain.erase(name);
      return ok;
    };
    if (!acyclic(spec.name())) {
      return ConfigError(path, absl::StrCat("models ('", spec.name(), "').old_model/teacher"),
                         "form a cycle");
    }
  }
  // Rows.
  const CrossMatrix& matrix = config.cross_matrix();
  if (matrix.labels_size() != matrix.models_size()) {
    return ConfigError(path, "cross_matrix.labels", "needs one label per model");
  }
  for (int i = 0; i < config.cases_size(); ++i) {
    const Case& c = config.cases(i);
    const std::string field = absl::StrCat("cases[", i, "]");
    if (c.label().empty()) return ConfigError(path, field + ".label", "is empty");
    for (const std::string* name : {&c.query(), &c.gallery()}) {
      if (index_of.count(*name) == 0) {
        return ConfigError(path, field + ".query/gallery",
                           absl::StrCat("names '", *name, "', which is not a model"));
      }
    }
  }
  for (const std::string& name : matrix.models()) {
    if (index_of.count(name) == 0) {
      return ConfigError(path, "cross_matrix.models",
                         absl::StrCat("names '", name, "', which is not a model"));
    }
  }
  const std::vector<RowSpec> rows = TableRows(config);
  if (rows.empty()) return ConfigError(path, "cases", "the table measures nothing (no cases, no matrix)");
  std::set<std::string> labels;
  for (const RowSpec& row : rows) {
    if (!labels.insert(row.label).second) {
      return ConfigError(path, "cases.label", absl::StrCat("'", row.label, "' is used twice"));
    }
  }
  // Claims.
  for (int i = 0; i < config.claims_size(); ++i) {
    const ClaimSpec& claim = config.claims(i);
    const std::string field = absl::StrCat("claims[", i, "]");
    if (claim.id().empty() || claim.text().empty()) {
      return ConfigError(path, field + ".id/text", "are required");
    }
    if (claim.conditions().empty()) return ConfigError(path, field + ".conditions", "are empty");
    for (int j = 0; j < claim.conditions_size(); ++j) {
      const Condition& condition = claim.conditions(j);
      const std::string cfield = absl::StrCat(field, ".conditions[", j, "]");
      if (condition.relation() == Condition::RELATION_UNSPECIFIED) {
        return ConfigError(path, cfield + ".relation", "must be GREATER, LESS or WITHIN");
      }
      if (condition.lhs().row().empty()) {
        return ConfigError(path, cfield + ".lhs.row", "is required (rhs may be a constant)");
      }
      RETURN_IF_ERROR(ValidateOperand(condition.lhs(), labels, path, cfield + ".lhs"));
      RETURN_IF_ERROR(ValidateOperand(condition.rhs(), labels, path, cfield + ".rhs"));
      if (condition.relation() == Condition::WITHIN && condition.tolerance() < 0) {
        return ConfigError(path, cfield + ".tolerance", "must be >= 0 for WITHIN");
      }
    }
  }
  // Plots.
  for (int i = 0; i < config.plots_size(); ++i) {
    const SweepPlot& plot = config.plots(i);
    const std::string field = absl::StrCat("plots[", i, "]");
    if (plot.file().empty()) return ConfigError(path, field + ".file", "is empty");
    for (const SweepPlot::Line& line : plot.lines()) {
      if (line.rows_size() != plot.x_size()) {
        return ConfigError(path, field + ".lines.rows", "needs one row per x value");
      }
      for (const std::string& row : line.rows()) {
        if (labels.count(row) == 0) {
          return ConfigError(path, field + ".lines.rows",
                             absl::StrCat("names '", row, "', which is no case"));
        }
      }
      if (line.metric() != kTop1 && line.metric() != kMap) {
        return ConfigError(path, field + ".lines.metric", "must be Top-1 or mAP");
      }
    }
  }
  for (int i = 0; i < config.reported_size(); ++i) {
    for (const Reported::Row& row : config.reported(i).rows()) {
      if (row.values_size() != config.reported(i).columns_size()) {
        return ConfigError(path, absl::StrCat("reported[", i, "].rows"),
                           absl::StrCat("'", row.label(), "' needs one value per column"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TableConfig> ParseTableConfig(const std::string& text, const std::string& path) {
  TableConfig config;
  RETURN_IF_ERROR(ParseTextConfig(text, path, &config));
  RETURN_IF_ERROR(ValidateTableConfig(config, path));
  return config;
}

}  // namespace repro::bt2
