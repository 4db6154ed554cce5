// Diagnostics of the SpritePhase benchmark (spec §10.1): can the benchmark separate one vector per
// frame from multi-entity tokens at all? For each variant of a table config it prints
//  - how much of each phase is fixed by time alone: the spread of every phase boundary in
//    normalised time u = t / (L - 1), and the accuracy of the best time-only classifier (per-bin
//    majority of the train labels over 50 bins of u, scored on val);
//  - the full evaluation protocol (logistic-regression class., progression R², Kendall's tau, P@K)
//    on hand-made embeddings that need no training: time only ([cos, sin] of πu/2), the frozen
//    backbone's GAP vector per frame, GAP + time, and the ground-truth A-B relation + time;
//  - with --models: the trained rows of the config (loaded from the model cache, or trained), and a
//    ridge probe of the actor-object distance from each frame's GAP vector, mean patch token and
//    LSTP entity tokens (R² on val frames).
//
//   bazel run //mvformer:benchmark_probe -- --config=experiments/mvformer/mvformer_main.cpu.pbtxt
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "common/data/video/sprite_phase.h"
#include "common/metrics/video_metrics.h"
#include "common/port/main.h"
#include "common/port/status_macros.h"
#include "common/port/threads.h"
#include "gflags/gflags.h"
#include "mvformer/evaluate.h"
#include "mvformer/runner.h"

DEFINE_string(config, "experiments/mvformer/mvformer_main.cpu.pbtxt", "Table config (main or ablation).");
DEFINE_string(cache_dir, "", "Model cache (default: $HOME/.cache/repro-models).");
DEFINE_bool(models, false, "Also evaluate/probe the config's trained rows (from the cache or trained).");
DEFINE_uint64(seed, 1, "Model seed for --models.");
DEFINE_int32(threads, 2, "Threads.");

namespace repro::mvformer {
namespace {

torch::Tensor TimeCode(int64_t length) {
  const torch::Tensor u = torch::linspace(0, 1, length) * (M_PI / 2);
  return torch::stack({torch::cos(u), torch::sin(u)}, 1);
}

torch::Tensor Normalize(const torch::Tensor& x) {
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(-1));
}

// Per-frame actor/object centroids from the entity map (NaN where an entity is invisible).
torch::Tensor Centroids(const torch::Tensor& entities, uint8_t id) {
  const torch::Tensor mask = entities.eq(id).to(torch::kFloat32);  // [L, H, W]
  const int64_t h = mask.size(1), w = mask.size(2);
  const torch::Tensor ys = torch::arange(h, torch::kFloat32).view({1, h, 1});
  const torch::Tensor xs = torch::arange(w, torch::kFloat32).view({1, 1, w});
  const torch::Tensor n = mask.sum({1, 2});
  const torch::Tensor cy = (mask * ys).sum({1, 2}) / n, cx = (mask * xs).sum({1, 2}) / n;
  return torch::stack({cx, cy}, 1);  // [L, 2]
}

// Actor-object distance per frame / 64 (NaN when one is hidden).
torch::Tensor Distance(const Video& v) {
  return (Centroids(v.entities, kActor) - Centroids(v.entities, kObject)).norm(2, 1) / 64.0;
}

void PrintMetrics(const std::string& label, const VideoMetrics& m) {
  std::printf("  %-34s class %6.2f%%  progress %6.3f  tau %6.3f  P@5 %6.2f%%  P@15 %6.2f%%\n", label.c_str(),
              100 * m.classification, m.progression, m.kendall_tau, 100 * m.precision_at_k.front(),
              100 * m.precision_at_k.back());
}

using EmbedFn = std::function<torch::Tensor(const Video&, const VideoFeatures&)>;

VideoMetrics EvalEmbedding(const VideoDataset& data, const FeatureBank& bank, const EmbedFn& embed,
                           const VideoMetricsOptions& options) {
  std::vector<VideoEmbedding> train, val;
  for (size_t i = 0; i < data.train.size(); ++i) {
    train.push_back({Normalize(embed(data.train[i], bank.train[i][0])), data.train[i].phases, data.train[i].action});
  }
  for (size_t i = 0; i < data.val.size(); ++i) {
    val.push_back({Normalize(embed(data.val[i], bank.val[i])), data.val[i].phases, data.val[i].action});
  }
  std::vector<int> phases;
  for (const auto& a : data.actions) phases.push_back(a.num_phases);
  return EvaluateVideoEmbeddings(train, val, phases, options);
}

void PhaseTimingStats(const VideoDataset& data) {
  constexpr int kBins = 50;
  double oracle_sum = 0;
  for (size_t a = 0; a < data.actions.size(); ++a) {
    const int k = data.actions[a].num_phases;
    std::vector<std::vector<double>> boundary(k);
    std::vector<std::vector<int64_t>> counts(kBins, std::vector<int64_t>(k, 0));
    double length_sum = 0, length_sq = 0;
    int n = 0;
    for (const Video* v : VideosOfAction(data.train, static_cast<int>(a))) {
      const int64_t len = v->length();
      length_sum += len;
      length_sq += static_cast<double>(len) * len;
      ++n;
      const auto p = v->phases.accessor<int64_t, 1>();
      for (int64_t t = 0; t < len; ++t) {
        const int bin = std::min<int>(kBins - 1, static_cast<int>(kBins * t / static_cast<double>(len)));
        ++counts[bin][p[t]];
        if (t > 0 && p[t] != p[t - 1]) boundary[p[t]].push_back(t / static_cast<double>(len - 1));
      }
    }
    std::vector<int> majority(kBins);
    for (int b = 0; b < kBins; ++b) {
      majority[b] = static_cast<int>(std::max_element(counts[b].begin(), counts[b].end()) - counts[b].begin());
    }
    int64_t correct = 0, total = 0;
    for (const Video* v : VideosOfAction(data.val, static_cast<int>(a))) {
      const int64_t len = v->length();
      const auto p = v->phases.accessor<int64_t, 1>();
      for (int64_t t = 0; t < len; ++t) {
        const int bin = std::min<int>(kBins - 1, static_cast<int>(kBins * t / static_cast<double>(len)));
        correct += majority[bin] == p[t];
        ++total;
      }
    }
    const double oracle = static_cast<double>(correct) / total;
    oracle_sum += oracle;
    const double mean_len = length_sum / n;
    std::printf("  %-6s L = %.1f ± %.1f; boundary u (mean ± std):", data.actions[a].name.c_str(), mean_len,
                std::sqrt(std::max(0.0, length_sq / n - mean_len * mean_len)));
    for (int b = 1; b < k; ++b) {
      double s = 0, s2 = 0;
      for (double u : boundary[b]) s += u, s2 += u * u;
      const double m = s / boundary[b].size();
      std::printf("  P%d %.3f ± %.3f", b, m, std::sqrt(std::max(0.0, s2 / boundary[b].size() - m * m)));
    }
    std::printf("; best time-only (50 bins) val acc %.2f%%\n", 100 * oracle);
  }
  std::printf("  best time-only classifier, mean over actions: %.2f%%\n", 100 * oracle_sum / data.actions.size());
}

// Ridge regression (lambda 1e-3 * N) from features to target, fitted on train rows, R² on val rows.
double RidgeR2(torch::Tensor xtr, torch::Tensor ytr, torch::Tensor xva, torch::Tensor yva) {
  const torch::Tensor keep_tr = ~torch::isnan(ytr), keep_va = ~torch::isnan(yva);
  xtr = xtr.index({keep_tr}).to(torch::kFloat64);
  ytr = ytr.index({keep_tr}).to(torch::kFloat64);
  xva = xva.index({keep_va}).to(torch::kFloat64);
  yva = yva.index({keep_va}).to(torch::kFloat64);
  const torch::Tensor mean = xtr.mean(0), std = xtr.std(0) + 1e-6;
  auto prep = [&](const torch::Tensor& x) {
    return torch::cat({(x - mean) / std, torch::ones({x.size(0), 1}, torch::kFloat64)}, 1);
  };
  const torch::Tensor a = prep(xtr), b = prep(xva);
  const torch::Tensor gram = a.t().matmul(a) + 1e-3 * a.size(0) * torch::eye(a.size(1), torch::kFloat64);
  const torch::Tensor w = torch::linalg_solve(gram, a.t().matmul(ytr.unsqueeze(1)), true);
  const torch::Tensor pred = b.matmul(w).squeeze(1);
  return 1 - ((pred - yva).pow(2).sum() / (yva - yva.mean()).pow(2).sum()).item<double>();
}

absl::Status Run() {
  std::ifstream in(FLAGS_config);
  if (!in) return absl::NotFoundError("cannot read " + FLAGS_config);
  std::stringstream text;
  text << in.rdbuf();
  ASSIGN_OR_RETURN(MvformerConfig config, ParseMvformerConfig(text.str(), FLAGS_config, TableKind::kAblation));
  TableRun run;
  run.config_path = FLAGS_config;
  run.config_text = text.str();
  run.scale = "cpu";
  run.threads = FLAGS_threads;
  run.cache_dir = FLAGS_cache_dir.empty() ? std::string(std::getenv("HOME")) + "/.cache/repro-models" : FLAGS_cache_dir;
  run.fashion_mnist_dir = kFashionMnistDir;
  Workspace workspace(config, run);
  VideoMetricsOptions options;
  options.tau_stride = config.eval().tau_stride();
  options.retrieval_stride = config.eval().retrieval_stride();
  options.ks.assign(config.eval().ks().begin(), config.eval().ks().end());
  options.classifier.c = config.eval().logistic_c();
  for (int vi : config.variants()) {
    const Variant variant = static_cast<Variant>(vi);
    ASSIGN_OR_RETURN(Prepared prepared, workspace.Prepare(variant, false));
    const VideoDataset& data = *prepared.data;
    const FeatureBank& bank = *prepared.bank;
    std::printf("== %s: %zu train / %zu val videos\n", VariantTag(variant).c_str(), data.train.size(), data.val.size());
    PhaseTimingStats(data);
    const EmbedFn time = [](const Video& v, const VideoFeatures&) { return TimeCode(v.length()); };
    const EmbedFn gap = [](const Video&, const VideoFeatures& f) { return f.cls; };
    const EmbedFn gap_time = [](const Video& v, const VideoFeatures& f) {
      return torch::cat({Normalize(f.cls), TimeCode(v.length())}, 1);
    };
    const EmbedFn relation_time = [](const Video& v, const VideoFeatures&) {
      const torch::Tensor d = torch::nan_to_num(Distance(v), 0.0).unsqueeze(1);
      return torch::cat({d, torch::ones_like(d) * 0.1, TimeCode(v.length())}, 1);
    };
    PrintMetrics("time only [cos, sin](pi u / 2)", EvalEmbedding(data, bank, time, options));
    PrintMetrics("GAP per frame (no temporal model)", EvalEmbedding(data, bank, gap, options));
    PrintMetrics("GAP + time", EvalEmbedding(data, bank, gap_time, options));
    PrintMetrics("true A-B distance + time", EvalEmbedding(data, bank, relation_time, options));
    if (!FLAGS_models) continue;
    // Distance probe targets.
    std::vector<torch::Tensor> ytr, yva;
    for (const Video& v : data.train) ytr.push_back(Distance(v));
    for (const Video& v : data.val) yva.push_back(Distance(v));
    const torch::Tensor y_train = torch::cat(ytr), y_val = torch::cat(yva);
    auto probe = [&](const std::string& label, const std::function<torch::Tensor(const VideoFeatures&)>& f) {
      std::vector<torch::Tensor> xtr, xva;
      for (const auto& copies : bank.train) xtr.push_back(f(copies[0]));
      for (const auto& v : bank.val) xva.push_back(f(v));
      std::printf("  A-B distance ridge probe R² from %-28s %.3f\n", label.c_str(),
                  RidgeR2(torch::cat(xtr), y_train, torch::cat(xva), y_val));
    };
    probe("GAP (64)", [](const VideoFeatures& v) { return v.cls; });
    const ChannelRange all = AllLayers(bank);
    probe("mean patch token (192)", [&](const VideoFeatures& v) {
      return v.tokens.slice(2, all.begin, all.end).to(torch::kFloat32).mean(1);
    });
    probe("all patch tokens (64x192)", [&](const VideoFeatures& v) {
      return v.tokens.slice(2, all.begin, all.end).to(torch::kFloat32).flatten(1);
    });
    for (const RowConfig& row : config.rows()) {
      ASSIGN_OR_RETURN(RowResult result, workspace.Run(variant, row, FLAGS_seed));
      PrintMetrics(row.label() + (result.cached ? " (cached)" : " (trained)"), result.metrics);
      MvFormer model = result.model;
      model->eval();
      if (!model->lstp) continue;
      torch::NoGradGuard no_grad;
      const torch::Tensor code =
          GridPositionCode(bank.grid_height, bank.grid_width, model->options().position_dims());
      probe(row.label() + " LSTP tokens", [&](const VideoFeatures& v) {
        const torch::Tensor t = v.tokens.slice(2, result.channels.begin, result.channels.end).to(torch::kFloat32);
        return (code.numel() > 0 ? model->lstp->forward(t, code) : model->lstp->forward(t)).first.flatten(1);
      });
    }
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace repro::mvformer

int main(int argc, char** argv) {
  return repro::RunMain(argc, argv, "benchmark_probe --config=... [--models]", [] {
    repro::SetThreads(FLAGS_threads);
    return repro::mvformer::Run();
  });
}
