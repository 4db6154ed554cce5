// The three tables of online backfilling (backfill.md §4, §8), registered with the table registry:
//   backfill_main          AUC of mAP and CMC top-1, relative gain, final mAP and counted query
//                          passes per method, for each old/new setting (homogeneous,
//                          heterogeneous, open-class);
//   backfill_loss_ablation the MCL loss variants (old-only, new-only, separate, joint): AUCs and
//                          negative-flip rates, with ψ alone fine-tuned and (optionally) with ψ
//                          and the learnable new embedding ρ trained jointly;
//   backfill_curves        mAP, CMC top-1 and negative flips against backfill progress for every
//                          method (table, CSV and SVG plots).
// Claims are judged on the measured numbers with the tolerances of the config (Claims).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "backfill/config_check.h"
#include "backfill/data.h"
#include "backfill/pipeline.h"
#include "common/metrics/auc.h"
#include "common/port/status_macros.h"
#include "common/results/registry.h"
#include "common/results/section_builder.h"
#include "common/results/svg_plot.h"
#include "experiments/experiment.h"

namespace repro::backfill {
namespace {

constexpr char kPaper[] = "backfill";

struct Summary {
  double auc_map = 0, auc_cmc1 = 0, auc_nfr = 0, final_map = 0, peak_nfr = 0;
};

absl::StatusOr<Summary> Summarize(const Curve& c) {
  Summary s;
  ASSIGN_OR_RETURN(s.auc_map, ProgressCurveAuc(c.t, c.map));
  ASSIGN_OR_RETURN(s.auc_cmc1, ProgressCurveAuc(c.t, c.cmc1));
  ASSIGN_OR_RETURN(s.auc_nfr, ProgressCurveAuc(c.t, c.nfr));
  s.final_map = c.map.back();
  s.peak_nfr = *std::max_element(c.nfr.begin(), c.nfr.end());
  return s;
}

// Mean over seeds of a curve's values at each point.
std::vector<double> MeanCurve(const std::vector<Curve>& curves,
                              std::vector<double> Curve::*field) {
  std::vector<double> mean((curves.front().*field).size(), 0.0);
  for (const Curve& c : curves) {
    for (size_t i = 0; i < mean.size(); ++i) mean[i] += (c.*field)[i] / curves.size();
  }
  return mean;
}

std::vector<double> StdCurve(const std::vector<Curve>& curves, std::vector<double> Curve::*field) {
  const std::vector<double> mean = MeanCurve(curves, field);
  std::vector<double> sd(mean.size(), 0.0);
  if (curves.size() < 2) return sd;
  for (const Curve& c : curves) {
    for (size_t i = 0; i < sd.size(); ++i) sd[i] += std::pow((c.*field)[i] - mean[i], 2);
  }
  for (double& x : sd) x = std::sqrt(x / (curves.size() - 1));
  return sd;
}

// Largest drop between consecutive points (0 when the curve never falls).
double MaxDrop(const std::vector<double>& v) {
  double drop = 0;
  for (size_t i = 1; i < v.size(); ++i) drop = std::max(drop, v[i - 1] - v[i]);
  return drop;
}

bool Has(const Config& config, Method m) {
  return std::find(config.methods().begin(), config.methods().end(), m) !=
         config.methods().end();
}

void AddReported(const Config& config, TableReport* report) {
  for (const Reported& r : config.reported()) {
    Section* section = report->add_reported();
    section->set_title(r.title());
    section->set_note(r.note());
    for (const std::string& c : r.columns()) section->add_columns(c);
    for (const Reported::Row& row : r.rows()) {
      Row* out = section->add_rows();
      out->set_label(row.label());
      for (const std::string& cell : row.cells()) out->add_cells()->set_text(cell);
    }
  }
}

void AddClaim(TableReport* report, const std::string& id, const std::string& text, bool holds,
              const std::string& evidence) {
  Claim* claim = report->add_claims();
  claim->set_id(id);
  claim->set_text(text);
  claim->set_holds(holds);
  claim->set_evidence(evidence);
}

std::string Fmt(double x) { return absl::StrFormat("%.2f", x); }

CurveRequest Request(bool methods, bool variants, bool rho_new_new) {
  CurveRequest request;
  request.methods = methods;
  request.variants = variants;
  request.rho_new_new = rho_new_new;
  return request;
}

std::string SettingTitle(const Setting& s) {
  return s.description().empty() ? s.name() : absl::StrCat(s.name(), ": ", s.description());
}

// ---------------------------------------------------------------------------------------------
// backfill_main

absl::StatusOr<TableOutput> RunMain(const TableRun& run) {
  ASSIGN_OR_RETURN(Config config, ParseConfig(run.config_text, run.config_path, TableKind::kMain));
  TableOutput out;
  TableReport& report = out.report;
  report.set_paper(kPaper);
  report.set_table("backfill_main");
  const std::vector<uint64_t> seeds = StartReport(config.experiment(), run, &report);
  ASSIGN_OR_RETURN(BackfillData data, LoadBackfillData(config, run));
  ASSIGN_OR_RETURN(auto curves,
                   CollectCurves(config, run, data, seeds, Request(true, false, true)));

  const std::vector<std::string> columns = {"AUC mAP",     "AUC CMC@1",   "RelGain mAP (%)",
                                            "RelGain CMC@1 (%)", "final mAP", "query passes"};
  const double tol = config.claims().endpoint_tolerance();
  bool endpoints_ok = true, finals_ok = true, passes_ok = true;
  std::vector<std::string> endpoint_evidence, final_evidence, passes_evidence;
  for (const Setting& setting : config.settings()) {
    const SettingCurves& sc = curves.at(setting.name());
    SectionBuilder section(SettingTitle(setting), columns, 2);
    section.set_note(
        "AUC: trapezoid over t = 0..1 of the metric (%); RelGain = (AUC − old/old) / (new/new − "
        "old/old); query passes: backbone forward passes per query, counted.");
    for (size_t i = 0; i < seeds.size(); ++i) {
      const double base_map = sc.old_old[i].map[0], up_map = sc.new_new[i].map[0];
      const double base_cmc = sc.old_old[i].cmc1[0], up_cmc = sc.new_new[i].cmc1[0];
      for (int m : config.methods()) {
        const Curve& c = sc.methods.at(m)[i];
        ASSIGN_OR_RETURN(Summary s, Summarize(c));
        ASSIGN_OR_RETURN(double gain_map, RelativeGain(s.auc_map, base_map, up_map));
        ASSIGN_OR_RETURN(double gain_cmc, RelativeGain(s.auc_cmc1, base_cmc, up_cmc));
        const std::string row = MethodLabel(static_cast<Method>(m));
        section.Add(row, "AUC mAP", s.auc_map);
        section.Add(row, "AUC CMC@1", s.auc_cmc1);
        section.Add(row, "RelGain mAP (%)", 100 * gain_map);
        section.Add(row, "RelGain CMC@1 (%)", 100 * gain_cmc);
        section.Add(row, "final mAP", s.final_map);
        section.Add(row, "query passes", c.passes_per_query);
      }
      section.Add("old/old (reference)", "final mAP", base_map);
      if (!sc.rho_new_new.empty()) {
        section.Add("ρ∘φⁿ / ρ∘φⁿ (reference)", "final mAP", sc.rho_new_new[i].map[0]);
      }

      // Exact endpoints, per seed.
      if (Has(config, RANK_MERGE)) {
        const Curve& rm = sc.methods.at(RANK_MERGE)[i];
        const double d = std::max(std::abs(rm.map[0] - base_map), std::abs(rm.cmc1[0] - base_cmc));
        endpoints_ok &= d <= tol;
        endpoint_evidence.push_back(absl::StrCat(setting.name(), " seed ", seeds[i], ": |RM(0) − old/old| = ",
                                                 absl::StrFormat("%.2g", d)));
      }
      for (Method m : {RANK_MERGE, REVERSE_TRANSFORM, REVERSE_TRANSFORM_MCL, LEARNABLE_NEW_EMBEDDING}) {
        if (!Has(config, m)) continue;
        const Curve& c = sc.methods.at(m)[i];
        const Curve& target = m == LEARNABLE_NEW_EMBEDDING ? sc.rho_new_new[i] : sc.new_new[i];
        const double d = std::max(std::abs(c.map.back() - target.map[0]),
                                  std::abs(c.cmc1.back() - target.cmc1[0]));
        finals_ok &= d <= tol;
        if (d > tol || i == 0) {
          final_evidence.push_back(absl::StrCat(setting.name(), " seed ", seeds[i], " ",
                                                MethodLabel(m), ": |final − new/new| = ",
                                                absl::StrFormat("%.2g", d)));
        }
      }
      for (Method m : {RANK_MERGE, REVERSE_TRANSFORM, REVERSE_TRANSFORM_MCL, LEARNABLE_NEW_EMBEDDING}) {
        if (!Has(config, m)) continue;
        const double p = sc.methods.at(m)[i].passes_per_query;
        const double want = m == RANK_MERGE ? 2.0 : 1.0;
        passes_ok &= p == want;
        if (i == 0 && setting.name() == config.settings(0).name()) {
          passes_evidence.push_back(absl::StrCat(MethodLabel(m), " ", Fmt(p)));
        }
      }
    }
    // Per-setting claims on seed means.
    if (Has(config, RANK_MERGE) && Has(config, REVERSE_TRANSFORM) &&
        Has(config, REVERSE_TRANSFORM_MCL)) {
      const double rm = section.Mean(MethodLabel(RANK_MERGE), "AUC mAP");
      const double rt = section.Mean(MethodLabel(REVERSE_TRANSFORM), "AUC mAP");
      const double mcl = section.Mean(MethodLabel(REVERSE_TRANSFORM_MCL), "AUC mAP");
      const double margin = config.claims().auc_margin();
      AddClaim(&report, absl::StrCat("auc_order_", setting.name()),
               absl::StrCat(setting.name(),
                            ": AUC of mAP orders RT + MCL > RT > RM (margin ", Fmt(margin), ")"),
               mcl > rt + margin && rt > rm + margin,
               absl::StrCat("AUC mAP: RT + MCL ", Fmt(mcl), ", RT ", Fmt(rt), ", RM ", Fmt(rm)));
    }
    if (Has(config, BCT)) {
      const double bct = section.Mean(MethodLabel(BCT), "final mAP");
      const double margin = config.claims().bct_margin();
      bool ok = true;
      std::vector<std::string> parts;
      for (Method m : {RANK_MERGE, REVERSE_TRANSFORM, REVERSE_TRANSFORM_MCL, LEARNABLE_NEW_EMBEDDING}) {
        if (!Has(config, m)) continue;
        const double f = section.Mean(MethodLabel(m), "final mAP");
        ok &= f > bct + margin;
        parts.push_back(absl::StrCat(MethodLabel(m), " ", Fmt(f)));
      }
      AddClaim(&report, absl::StrCat("above_bct_", setting.name()),
               absl::StrCat(setting.name(), ": every online method ends above BCT's final mAP (margin ",
                            Fmt(margin), ")"),
               ok, absl::StrCat("BCT final ", Fmt(bct), "; ", absl::StrJoin(parts, ", ")));
    }
    report.add_sections()->CopyFrom(section.Build());
  }
  AddClaim(&report, "endpoint_t0",
           absl::StrCat("At t = 0 rank merge equals old/old (mAP and CMC top-1, every setting and "
                        "seed, tolerance ", absl::StrFormat("%g", tol), ")"),
           endpoints_ok, absl::StrJoin(endpoint_evidence, "; "));
  AddClaim(&report, "endpoint_t1",
           absl::StrCat("At t = 1 every online method equals new/new (the learnable embedding: "
                        "its own ρ∘φⁿ/ρ∘φⁿ), every setting and seed, tolerance ",
                        absl::StrFormat("%g", tol)),
           finals_ok, absl::StrJoin(final_evidence, "; "));
  AddClaim(&report, "query_passes",
           "The reverse transformation needs one backbone pass per query where rank merge needs "
           "two (counted)",
           passes_ok, absl::StrCat("passes per query: ", absl::StrJoin(passes_evidence, ", ")));
  AddReported(config, &report);
  return out;
}

// ---------------------------------------------------------------------------------------------
// backfill_loss_ablation

std::string VariantLabel(int v, bool with_rho = false) {
  std::string name;
  switch (v) {
    case OLD_ONLY:
      name = "MCL old-only";
      break;
    case NEW_ONLY:
      name = "MCL new-only";
      break;
    case SEPARATE:
      name = "MCL separate";
      break;
    case JOINT:
      name = "MCL joint";
      break;
    default:
      name = "MCL ?";
  }
  return with_rho ? absl::StrCat(name, " (ψ + ρ)") : name;
}

absl::StatusOr<TableOutput> RunAblation(const TableRun& run) {
  ASSIGN_OR_RETURN(Config config,
                   ParseConfig(run.config_text, run.config_path, TableKind::kLossAblation));
  TableOutput out;
  TableReport& report = out.report;
  report.set_paper(kPaper);
  report.set_table("backfill_loss_ablation");
  const std::vector<uint64_t> seeds = StartReport(config.experiment(), run, &report);
  ASSIGN_OR_RETURN(BackfillData data, LoadBackfillData(config, run));
  ASSIGN_OR_RETURN(auto curves, CollectCurves(config, run, data, seeds, Request(false, true, false)));
  const std::vector<std::string> columns = {"AUC mAP", "AUC CMC@1", "NFR AUC (%)", "peak NFR (%)",
                                            "final mAP"};
  const bool with_rho = config.ablation_with_new_embedding();
  for (const Setting& setting : config.settings()) {
    const SettingCurves& sc = curves.at(setting.name());
    SectionBuilder section(SettingTitle(setting), columns, 2);
    section.set_note(
        with_rho
            ? "Plain rows: ψ fine-tuned from RT with MSE + λ·L_MCL of each variant, no learnable "
              "new embedding (the new space is the frozen φⁿ). (ψ + ρ) rows: ψ and the learnable "
              "new embedding ρ (ρ(f) = f + MLP(f), starting as the identity) trained jointly under "
              "the same variant; the backfilled items and the queries' new-space embedding are "
              "ρ∘φⁿ, so their final mAP is that variant's ρ∘φⁿ/ρ∘φⁿ. NFR: negative flips vs "
              "old/old (top-1 correct before, wrong now), AUC over t."
            : "ψ fine-tuned from RT with MSE + λ·L_MCL of each variant (no learnable new "
              "embedding); NFR: negative flips vs old/old (top-1 correct before, wrong now), AUC "
              "over t.");
    auto add = [&](const std::string& row, const Curve& c) -> absl::Status {
      ASSIGN_OR_RETURN(Summary s, Summarize(c));
      section.Add(row, "AUC mAP", s.auc_map);
      section.Add(row, "AUC CMC@1", s.auc_cmc1);
      section.Add(row, "NFR AUC (%)", s.auc_nfr);
      section.Add(row, "peak NFR (%)", s.peak_nfr);
      section.Add(row, "final mAP", s.final_map);
      return absl::OkStatus();
    };
    for (size_t i = 0; i < seeds.size(); ++i) {
      RETURN_IF_ERROR(add("RT (no MCL, reference)", sc.methods.at(REVERSE_TRANSFORM)[i]));
      for (int v : config.ablation_variants()) RETURN_IF_ERROR(add(VariantLabel(v), sc.variants.at(v)[i]));
      if (with_rho) {
        for (int v : config.ablation_variants()) {
          RETURN_IF_ERROR(add(VariantLabel(v, true), sc.variants_rho.at(v)[i]));
        }
      }
    }
    // The two claims of the paper's ablation, on the ψ-only rows and (when run) the ψ + ρ rows.
    auto claims = [&](bool rho) {
      if (std::find(config.ablation_variants().begin(), config.ablation_variants().end(), JOINT) ==
          config.ablation_variants().end()) {
        return;
      }
      const std::string id_suffix = absl::StrCat(rho ? "rho_" : "", setting.name());
      const std::string what = absl::StrCat(
          setting.name(), rho        ? " (ψ + ρ: learnable new embedding trained jointly)"
                          : with_rho ? " (ψ only)"
                                     : "");
      const double joint = section.Mean(VariantLabel(JOINT, rho), "AUC mAP");
      const double margin = config.claims().ablation_auc_margin();
      bool ok = true;
      std::vector<std::string> parts;
      for (int v : config.ablation_variants()) {
        if (v == JOINT) continue;
        const double other = section.Mean(VariantLabel(v, rho), "AUC mAP");
        ok &= joint > other + margin;
        parts.push_back(absl::StrCat(VariantLabel(v, rho), " ", Fmt(other)));
      }
      AddClaim(&report, absl::StrCat("joint_auc_", id_suffix),
               absl::StrCat(what, ": the joint loss has a higher AUC of mAP than each "
                            "single-space variant and the separate one (margin ", Fmt(margin), ")"),
               ok, absl::StrCat("joint ", Fmt(joint), "; ", absl::StrJoin(parts, ", ")));
      if (std::find(config.ablation_variants().begin(), config.ablation_variants().end(),
                    SEPARATE) != config.ablation_variants().end()) {
        const double j = section.Mean(VariantLabel(JOINT, rho), "NFR AUC (%)");
        const double s = section.Mean(VariantLabel(SEPARATE, rho), "NFR AUC (%)");
        const double margin_nfr = config.claims().nfr_margin();
        AddClaim(&report, absl::StrCat("joint_flips_", id_suffix),
                 absl::StrCat(what, ": the joint loss has fewer negative flips than the "
                              "separate one (NFR AUC, margin ", Fmt(margin_nfr), ")"),
                 j < s - margin_nfr,
                 absl::StrCat("NFR AUC (%): joint ", Fmt(j), ", separate ", Fmt(s)));
      }
    };
    claims(false);
    if (with_rho) claims(true);
    report.add_sections()->CopyFrom(section.Build());
  }
  AddReported(config, &report);
  return out;
}

// ---------------------------------------------------------------------------------------------
// backfill_curves

absl::StatusOr<TableOutput> RunCurves(const TableRun& run) {
  ASSIGN_OR_RETURN(Config config,
                   ParseConfig(run.config_text, run.config_path, TableKind::kCurves));
  TableOutput out;
  TableReport& report = out.report;
  report.set_paper(kPaper);
  report.set_table("backfill_curves");
  const std::vector<uint64_t> seeds = StartReport(config.experiment(), run, &report);
  ASSIGN_OR_RETURN(BackfillData data, LoadBackfillData(config, run));
  ASSIGN_OR_RETURN(auto curves, CollectCurves(config, run, data, seeds, Request(true, false, false)));
  const double tol = config.claims().monotone_tolerance();

  struct Metric {
    const char* name;
    const char* file;
    std::vector<double> Curve::*field;
  };
  const std::vector<Metric> metrics = {{"mAP (%)", "map", &Curve::map},
                                       {"CMC top-1 (%)", "cmc1", &Curve::cmc1},
                                       {"negative flips vs old/old (%)", "nfr", &Curve::nfr}};
  for (const Setting& setting : config.settings()) {
    const SettingCurves& sc = curves.at(setting.name());
    const std::vector<double> t = sc.old_old.front().t;
    std::vector<std::string> columns;
    for (double x : t) columns.push_back(absl::StrFormat("t=%.1f", x));
    for (const Metric& metric : metrics) {
      SectionBuilder section(absl::StrCat(setting.name(), ": ", metric.name, " vs progress t"),
                             columns, 2);
      LinePlot plot;
      plot.title = absl::StrCat(setting.name(), ": ", metric.name, " during online backfilling");
      plot.x_label = "backfill progress t";
      plot.y_label = metric.name;
      for (int m : config.methods()) {
        const std::vector<Curve>& per_seed = sc.methods.at(m);
        const std::string label = MethodLabel(static_cast<Method>(m));
        for (const Curve& c : per_seed) {
          const std::vector<double>& values = c.*metric.field;
          for (size_t j = 0; j < values.size(); ++j) section.Add(label, columns[j], values[j]);
        }
        Series series;
        series.name = label;
        series.x = t;
        series.y = MeanCurve(per_seed, metric.field);
        series.y_err = StdCurve(per_seed, metric.field);
        plot.series.push_back(series);
      }
      report.add_sections()->CopyFrom(section.Build());
      const std::string file = absl::StrCat("backfill_curves_", setting.name(), "_", metric.file, ".svg");
      Plot* p = report.add_plots();
      p->set_file(file);
      p->set_title(plot.title);
      out.svgs.push_back({file, RenderSvg(plot)});
    }
    // Monotone rise of every online method (seed-mean curves).
    bool ok = true;
    std::vector<std::string> parts;
    for (Method m : {RANK_MERGE, REVERSE_TRANSFORM, REVERSE_TRANSFORM_MCL, LEARNABLE_NEW_EMBEDDING}) {
      if (!Has(config, m)) continue;
      const double drop_map = MaxDrop(MeanCurve(sc.methods.at(m), &Curve::map));
      const double drop_cmc = MaxDrop(MeanCurve(sc.methods.at(m), &Curve::cmc1));
      ok &= drop_map <= tol && drop_cmc <= tol;
      parts.push_back(absl::StrCat(MethodLabel(m), " ", Fmt(drop_map), "/", Fmt(drop_cmc)));
    }
    AddClaim(&report, absl::StrCat("monotone_", setting.name()),
             absl::StrCat(setting.name(), ": the mAP and CMC top-1 curves of every online method "
                          "rise monotonically (no drop larger than ", Fmt(tol), " points)"),
             ok, absl::StrCat("largest drop mAP/CMC@1: ", absl::StrJoin(parts, "; ")));
  }
  AddReported(config, &report);
  return out;
}

absl::Status ValidateMain(const std::string& text, const std::string& path) {
  return ParseConfig(text, path, TableKind::kMain).status();
}
absl::Status ValidateAblation(const std::string& text, const std::string& path) {
  return ParseConfig(text, path, TableKind::kLossAblation).status();
}
absl::Status ValidateCurves(const std::string& text, const std::string& path) {
  return ParseConfig(text, path, TableKind::kCurves).status();
}

}  // namespace

REGISTER_TABLE("backfill", "backfill_main", RunMain, ValidateMain);
REGISTER_TABLE("backfill", "backfill_loss_ablation", RunAblation, ValidateAblation);
REGISTER_TABLE("backfill", "backfill_curves", RunCurves, ValidateCurves);

}  // namespace repro::backfill
