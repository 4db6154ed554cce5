#include "backfill/pipeline.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backfill/encoders.h"
#include "backfill/schedule.h"
#include "backfill/training.h"
#include "backfill/transforms.h"
#include "common/config/train_options.h"
#include "common/port/status_macros.h"
#include "common/port/threads.h"
#include "common/train/seed.h"

namespace repro::backfill {
namespace {

constexpr uint64_t kOrderStream = 0x4f524452ULL;    // "ORDR"
constexpr uint64_t kPsiDataStream = 0x50534944ULL;  // "PSID"

// A process-wide memo table (see pipeline.h). Seeds run concurrently share the tables but never
// an entry (every key names its seed), so a lock around each look-up and insertion suffices.
template <typename V>
class Memo {
 public:
  bool Find(const std::string& key, V* value) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    *value = it->second;
    return true;
  }
  void Put(const std::string& key, const V& value) {
    std::lock_guard<std::mutex> lock(mutex_);
    map_.insert_or_assign(key, value);
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    map_.clear();
  }

 private:
  std::mutex mutex_;
  std::map<std::string, V> map_;
};

Memo<std::shared_ptr<Classifier>>& Backbones() {
  static auto* memo = new Memo<std::shared_ptr<Classifier>>();
  return *memo;
}
Memo<ReverseTransform>& Psis() {
  static auto* memo = new Memo<ReverseTransform>();
  return *memo;
}
Memo<MclModels>& Mcls() {
  static auto* memo = new Memo<MclModels>();
  return *memo;
}
Memo<Curve>& Curves() {
  static auto* memo = new Memo<Curve>();
  return *memo;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// A one-point result repeated at every evaluation point.
Curve Constant(const StepResult& r, const std::vector<double>& t, double passes) {
  Curve c;
  c.t = t;
  c.passes_per_query = passes;
  for (size_t i = 0; i < t.size(); ++i) {
    c.map.push_back(100 * r.map);
    c.cmc1.push_back(100 * r.cmc.at(1));
    c.cmc5.push_back(100 * (r.cmc.count(5) ? r.cmc.at(5) : r.cmc.at(1)));
    c.nfr.push_back(100 * r.negative_flip_rate);
  }
  return c;
}

std::string MethodKeyName(Method method) { return Method_Name(method); }

}  // namespace

Curve ToCurve(const std::vector<StepResult>& steps, double passes_per_query) {
  Curve c;
  c.passes_per_query = passes_per_query;
  for (const StepResult& r : steps) {
    c.t.push_back(r.progress);
    c.map.push_back(100 * r.map);
    c.cmc1.push_back(100 * r.cmc.at(1));
    c.cmc5.push_back(100 * (r.cmc.count(5) ? r.cmc.at(5) : r.cmc.at(1)));
    c.nfr.push_back(100 * r.negative_flip_rate);
  }
  return c;
}

std::string MethodLabel(Method method) {
  switch (method) {
    case OFFLINE:
      return "Offline backfilling";
    case BCT:
      return "BCT";
    case RANK_MERGE:
      return "Rank merge (RM)";
    case REVERSE_TRANSFORM:
      return "Reverse transformation (RT)";
    case REVERSE_TRANSFORM_MCL:
      return "RT + MCL";
    case LEARNABLE_NEW_EMBEDDING:
      return "RT + MCL + learnable new embedding";
    case NEW_NEW:
      return "New/new (upper bound)";
    default:
      return "unknown method";
  }
}

struct SeedPipeline::Models {
  std::string key;  // determines everything below
  std::string new_key, old_key;
  std::shared_ptr<Classifier> new_model, old_model;
  Normalization new_norm, old_norm;
  GalleryEmbeddings old_gallery;  // φᵒ(G)
  GalleryEmbeddings new_gallery;  // φⁿ(G)
  EmbeddingPairs psi_data;        // φⁿ, φᵒ of the ψ training images
  torch::Tensor order;            // backfill order
  StepResult old_old, new_new;
  double old_passes = 0, new_passes = 0;
  std::vector<int64_t> old_classes;
};

namespace {

Memo<std::shared_ptr<SeedPipeline::Models>>& PreparedModels() {
  static auto* memo = new Memo<std::shared_ptr<SeedPipeline::Models>>();
  return *memo;
}

bool Has(const Config& config, Method m) {
  return std::find(config.methods().begin(), config.methods().end(), m) !=
         config.methods().end();
}

// The curves of `request` for one seed, by setting name (one-element vectors).
absl::StatusOr<std::map<std::string, SettingCurves>> SeedCurves(const Config& config,
                                                                const TableRun& run,
                                                                const BackfillData& data,
                                                                uint64_t seed,
                                                                const CurveRequest& request) {
  std::map<std::string, SettingCurves> out;
  SeedPipeline pipe(config, run, data, seed);
  for (const Setting& setting : config.settings()) {
    SettingCurves& sc = out[setting.name()];
    ASSIGN_OR_RETURN(Curve oo, pipe.OldOld(setting));
    ASSIGN_OR_RETURN(Curve nn, pipe.NewNew(setting));
    sc.old_old.push_back(oo);
    sc.new_new.push_back(nn);
    if (request.methods) {
      for (int m : config.methods()) {
        ASSIGN_OR_RETURN(Curve c, pipe.MethodCurve(setting, static_cast<Method>(m)));
        sc.methods[m].push_back(c);
      }
      if (request.rho_new_new && Has(config, LEARNABLE_NEW_EMBEDDING)) {
        ASSIGN_OR_RETURN(Curve r, pipe.RhoNewNew(setting));
        sc.rho_new_new.push_back(r);
      }
    }
    if (request.variants) {
      ASSIGN_OR_RETURN(Curve rt, pipe.MethodCurve(setting, REVERSE_TRANSFORM));
      sc.methods[REVERSE_TRANSFORM].push_back(rt);
      for (int v : config.ablation_variants()) {
        ASSIGN_OR_RETURN(Curve c, pipe.VariantCurve(setting, static_cast<MclLossVariant>(v)));
        sc.variants[v].push_back(c);
      }
      if (config.ablation_with_new_embedding()) {
        for (int v : config.ablation_variants()) {
          ASSIGN_OR_RETURN(Curve c,
                           pipe.VariantCurve(setting, static_cast<MclLossVariant>(v), true));
          sc.variants_rho[v].push_back(c);
        }
      }
    }
  }
  return out;
}

void Append(const SettingCurves& from, SettingCurves* to) {
  const auto add = [](const std::vector<Curve>& a, std::vector<Curve>* b) {
    b->insert(b->end(), a.begin(), a.end());
  };
  add(from.old_old, &to->old_old);
  add(from.new_new, &to->new_new);
  add(from.rho_new_new, &to->rho_new_new);
  for (const auto& [m, curves] : from.methods) add(curves, &to->methods[m]);
  for (const auto& [v, curves] : from.variants) add(curves, &to->variants[v]);
  for (const auto& [v, curves] : from.variants_rho) add(curves, &to->variants_rho[v]);
}

}  // namespace

absl::StatusOr<std::map<std::string, SettingCurves>> CollectCurves(
    const Config& config, const TableRun& run, const BackfillData& data,
    const std::vector<uint64_t>& seeds, const CurveRequest& request, int workers) {
  if (workers <= 0) {
    const int cores = run.threads > 0 ? run.threads : HardwareThreads();
    workers = cores <= 1 ? 1 : cores + 1;
  }
  if (UsesDropout(config)) workers = 1;
  workers = std::max(1, std::min<int>(workers, static_cast<int>(seeds.size())));

  for (uint64_t seed : seeds) PrebuildInitialWeights(config, seed);
  std::vector<absl::StatusOr<std::map<std::string, SettingCurves>>> per_seed(
      seeds.size(), absl::UnknownError("seed not run"));
  {
    std::optional<PrebuiltInitOnly> prebuilt_only;
    if (workers > 1) prebuilt_only.emplace();
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        at::set_num_threads(1);
        for (size_t i = next++; i < seeds.size(); i = next++) {
          try {
            per_seed[i] = SeedCurves(config, run, data, seeds[i], request);
          } catch (const std::exception& e) {
            per_seed[i] = absl::InternalError(absl::StrCat("backfill seed ", seeds[i], ": ",
                                                           e.what()));
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  SetThreads(run.threads);  // the workers changed LibTorch's default for new threads

  std::map<std::string, SettingCurves> out;
  for (auto& one : per_seed) {
    RETURN_IF_ERROR(one.status());
    for (const auto& [name, curves] : *one) Append(curves, &out[name]);
  }
  return out;
}

void ClearPipelineMemos() {
  PreparedModels().Clear();
  Backbones().Clear();
  Psis().Clear();
  Mcls().Clear();
  Curves().Clear();
}

SeedPipeline::SeedPipeline(const Config& config, const TableRun& run, const BackfillData& data,
                           uint64_t seed)
    : config_(config), run_(run), data_(data), seed_(seed) {}

absl::StatusOr<std::shared_ptr<SeedPipeline::Models>> SeedPipeline::Prepare(
    const Setting& setting) {
  const bool normalize = config_.protocol().normalize();
  const std::string seed_text = absl::StrCat("|seed ", seed_);
  const std::string new_key =
      absl::StrCat(data_.key, "|model ", config_.new_model().ShortDebugString(), seed_text);
  const std::string old_key =
      absl::StrCat(data_.key, "|model ", setting.old_model().ShortDebugString(), seed_text);
  const std::string key = absl::StrCat(new_key, "||", old_key, "||protocol ",
                                       config_.protocol().ShortDebugString(), "|psi_items ",
                                       config_.psi().train_items());
  if (std::shared_ptr<Models> found; PreparedModels().Find(key, &found)) return found;

  auto m = std::make_shared<Models>();
  m->key = key;
  m->new_key = new_key;
  m->old_key = old_key;
  const auto start = std::chrono::steady_clock::now();
  auto backbone = [&](const Backbone& spec, const std::string& k, const std::string& name,
                      const std::string& field) -> absl::StatusOr<std::shared_ptr<Classifier>> {
    if (std::shared_ptr<Classifier> found; Backbones().Find(k, &found)) return found;
    ASSIGN_OR_RETURN(std::shared_ptr<Classifier> model,
                     TrainOrLoadBackbone(spec, data_.train, seed_, {run_.cache_dir, name, k},
                                         run_.config_path, field));
    Backbones().Put(k, model);
    return model;
  };
  ASSIGN_OR_RETURN(m->new_model, backbone(config_.new_model(), new_key, "new", "new_model"));
  ASSIGN_OR_RETURN(m->old_model, backbone(setting.old_model(), old_key,
                                          absl::StrCat("old-", setting.name()),
                                          absl::StrCat("settings '", setting.name(), "' old_model")));
  m->new_norm = NormalizationOf(config_.new_model().train());
  m->old_norm = NormalizationOf(setting.old_model().train());
  m->old_classes.assign(setting.old_model().classes().begin(), setting.old_model().classes().end());

  const int64_t batch = EmbedBatch();
  CountingBackbone new_enc(m->new_model, m->new_norm, normalize, batch);
  CountingBackbone old_enc(m->old_model, m->old_norm, normalize, batch);
  const torch::Tensor ids = data_.setup.gallery_ids;
  m->old_gallery = {ids, old_enc.Embed(data_.gallery.images)};
  m->new_gallery = {ids, new_enc.Embed(data_.gallery.images)};

  // ψ's training images: a seeded subset of the training set (all classes).
  const int64_t n_train = data_.train.size();
  const int64_t items = config_.psi().train_items() > 0
                            ? std::min<int64_t>(config_.psi().train_items(), n_train)
                            : n_train;
  torch::Generator generator = MakeGenerator(seed_, kPsiDataStream, 0);
  const torch::Tensor rows = std::get<0>(
      torch::randperm(n_train, generator, torch::TensorOptions().dtype(torch::kInt64))
          .slice(0, 0, items)
          .sort());
  const torch::Tensor psi_images = data_.train.images.index_select(0, rows);
  m->psi_data.new_embeddings = new_enc.Embed(psi_images);
  m->psi_data.old_embeddings = old_enc.Embed(psi_images);
  m->psi_data.labels = data_.train.labels.index_select(0, rows);

  // The backfill order.
  BackfillOrder policy = config_.protocol().order();
  OrderPolicy order_policy = policy == ID_ORDER   ? OrderPolicy::kIdOrder
                             : policy == EXPLICIT ? OrderPolicy::kExplicit
                                                  : OrderPolicy::kRandom;
  ASSIGN_OR_RETURN(m->order, MakeBackfillOrder(order_policy, ids, MixSeed(seed_, kOrderStream, 0),
                                               std::vector<int64_t>(
                                                   config_.protocol().explicit_order().begin(),
                                                   config_.protocol().explicit_order().end())));

  // The fixed systems: old/old (the reference of negative flips) and new/new.
  old_enc.ResetPasses();
  const torch::Tensor q_old = old_enc.Embed(data_.queries.images);
  m->old_passes = static_cast<double>(old_enc.passes()) / data_.queries.size();
  ASSIGN_OR_RETURN(m->old_old,
                   EvaluateSingleSpace(m->old_gallery, q_old, data_.setup, torch::Tensor()));
  m->old_old.negative_flip_rate = 0;
  new_enc.ResetPasses();
  const torch::Tensor q_new = new_enc.Embed(data_.queries.images);
  m->new_passes = static_cast<double>(new_enc.passes()) / data_.queries.size();
  ASSIGN_OR_RETURN(m->new_new, EvaluateSingleSpace(m->new_gallery, q_new, data_.setup,
                                                   m->old_old.top1_correct));
  std::fprintf(stderr,
               "backfill: seed %llu setting %s ready in %.1f s (old/old mAP %.2f, new/new %.2f)\n",
               static_cast<unsigned long long>(seed_), setting.name().c_str(), Seconds(start),
               100 * m->old_old.map, 100 * m->new_new.map);
  PreparedModels().Put(key, m);
  return m;
}

absl::StatusOr<Curve> SeedPipeline::Online(const std::shared_ptr<Models>& m,
                                           const std::string& key,
                                           const GalleryEmbeddings& new_gallery,
                                           const QueryEmbeddings& queries) {
  ASSIGN_OR_RETURN(std::vector<StepResult> steps,
                   RunOnlineBackfill(m->old_gallery, new_gallery, queries, m->order,
                                     config_.protocol().num_steps(), data_.setup,
                                     m->old_old.top1_correct));
  Curve curve = ToCurve(steps, queries.backbone_passes_per_query);
  Curves().Put(key, curve);
  return curve;
}

absl::StatusOr<Curve> SeedPipeline::OldOld(const Setting& setting) {
  ASSIGN_OR_RETURN(std::shared_ptr<Models> m, Prepare(setting));
  return Constant(m->old_old, ProgressPoints(config_.protocol().num_steps()), m->old_passes);
}

absl::StatusOr<Curve> SeedPipeline::NewNew(const Setting& setting) {
  ASSIGN_OR_RETURN(std::shared_ptr<Models> m, Prepare(setting));
  return Constant(m->new_new, ProgressPoints(config_.protocol().num_steps()), m->new_passes);
}

absl::StatusOr<Curve> SeedPipeline::MethodCurve(const Setting& setting, Method method) {
  ASSIGN_OR_RETURN(std::shared_ptr<Models> m, Prepare(setting));
  const std::vector<double> t = ProgressPoints(config_.protocol().num_steps());
  if (method == OFFLINE) {
    // The old index serves until the new one is complete, then it is swapped in.
    Curve c = Constant(m->old_old, t, m->old_passes);
    const Curve last = Constant(m->new_new, t, m->new_passes);
    c.map.back() = last.map.back();
    c.cmc1.back() = last.cmc1.back();
    c.cmc5.back() = last.cmc5.back();
    c.nfr.back() = last.nfr.back();
    return c;
  }
  if (method == NEW_NEW) return Constant(m->new_new, t, m->new_passes);

  const bool normalize = config_.protocol().normalize();
  const int64_t batch = EmbedBatch();
  const std::string psi_key = PsiKey(*m);
  std::string key = absl::StrCat(m->key, "|method ", MethodKeyName(method));
  if (method == BCT) absl::StrAppend(&key, "|bct ", config_.bct().ShortDebugString(),
                                     "|new ", config_.new_model().ShortDebugString());
  if (method == REVERSE_TRANSFORM) absl::StrAppend(&key, "|", psi_key);
  if (method == REVERSE_TRANSFORM_MCL || method == LEARNABLE_NEW_EMBEDDING) {
    absl::StrAppend(&key, "|", psi_key, "|mcl ", config_.mcl().ShortDebugString());
  }
  if (method == LEARNABLE_NEW_EMBEDDING) {
    absl::StrAppend(&key, "|rho ", config_.new_embedding().ShortDebugString());
  }
  if (Curve found; Curves().Find(key, &found)) return found;

  const auto start = std::chrono::steady_clock::now();
  const torch::Tensor& query_images = data_.queries.images;
  const double num_queries = static_cast<double>(data_.queries.size());
  CountingBackbone new_enc(m->new_model, m->new_norm, normalize, batch);
  CountingBackbone old_enc(m->old_model, m->old_norm, normalize, batch);
  QueryEmbeddings q;
  GalleryEmbeddings new_gallery = m->new_gallery;
  switch (method) {
    case RANK_MERGE:
      q.for_old_part = old_enc.Embed(query_images);
      q.for_new_part = new_enc.Embed(query_images);
      q.backbone_passes_per_query = (old_enc.passes() + new_enc.passes()) / num_queries;
      break;
    case REVERSE_TRANSFORM:
    case REVERSE_TRANSFORM_MCL: {
      ReverseTransform p{nullptr};
      if (method == REVERSE_TRANSFORM) {
        ASSIGN_OR_RETURN(p, TrainedPsi(m, setting));
      } else {
        ASSIGN_OR_RETURN(MclModels models, TrainedMcl(m, setting, config_.mcl().variant(), false));
        p = models.psi;
      }
      const torch::Tensor a = new_enc.Embed(query_images);
      q.for_old_part = ApplyTransform(*p, [&](const torch::Tensor& x) { return p->forward(x); }, a);
      q.for_new_part = a;
      q.backbone_passes_per_query = new_enc.passes() / num_queries;
      break;
    }
    case LEARNABLE_NEW_EMBEDDING: {
      ASSIGN_OR_RETURN(MclModels models, TrainedMcl(m, setting, config_.mcl().variant(), true));
      NewEmbedding rho = models.rho;
      ReverseTransform p = models.psi;
      const torch::Tensor a = new_enc.Embed(query_images);
      q.for_old_part = ApplyTransform(*p, [&](const torch::Tensor& x) { return p->forward(x); }, a);
      q.for_new_part =
          ApplyTransform(*rho, [&](const torch::Tensor& x) { return rho->forward(x); }, a);
      q.backbone_passes_per_query = new_enc.passes() / num_queries;
      new_gallery.embeddings = ApplyTransform(
          *rho, [&](const torch::Tensor& x) { return rho->forward(x); }, m->new_gallery.embeddings);
      break;
    }
    case BCT: {
      const std::string bct_key = absl::StrCat(m->key, "|bct ", config_.bct().ShortDebugString());
      std::shared_ptr<Classifier> bct_model;
      if (!Backbones().Find(bct_key, &bct_model)) {
        ASSIGN_OR_RETURN(bct_model,
                         TrainOrLoadBct(config_.new_model(), *m->old_model, m->old_classes,
                                        config_.bct().influence_weight(), data_.train, seed_,
                                        {run_.cache_dir, absl::StrCat("bct-", setting.name()),
                                         bct_key},
                                        run_.config_path));
        Backbones().Put(bct_key, bct_model);
      }
      CountingBackbone bct_enc(bct_model, m->new_norm, normalize, batch);
      new_gallery.embeddings = bct_enc.Embed(data_.gallery.images);
      bct_enc.ResetPasses();
      q.for_old_part = bct_enc.Embed(query_images);
      q.for_new_part = q.for_old_part;
      q.backbone_passes_per_query = bct_enc.passes() / num_queries;
      break;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(run_.config_path, ": unknown method ", Method_Name(method)));
  }
  ASSIGN_OR_RETURN(Curve curve, Online(m, key, new_gallery, q));
  std::fprintf(stderr, "backfill: seed %llu %s %s: final mAP %.2f (%.1f s)\n",
               static_cast<unsigned long long>(seed_), setting.name().c_str(),
               MethodLabel(method).c_str(), curve.map.back(), Seconds(start));
  return curve;
}

absl::StatusOr<Curve> SeedPipeline::VariantCurve(const Setting& setting, MclLossVariant variant,
                                                 bool with_rho) {
  ASSIGN_OR_RETURN(std::shared_ptr<Models> m, Prepare(setting));
  // The main table's RT + MCL (or + learnable new embedding) row is this curve for its own
  // variant: share it.
  Config as_main = config_;
  as_main.mutable_mcl()->set_variant(variant);
  SeedPipeline shared(as_main, run_, data_, seed_);
  return shared.MethodCurve(setting, with_rho ? LEARNABLE_NEW_EMBEDDING : REVERSE_TRANSFORM_MCL);
}

absl::StatusOr<Curve> SeedPipeline::RhoNewNew(const Setting& setting) {
  ASSIGN_OR_RETURN(std::shared_ptr<Models> m, Prepare(setting));
  ASSIGN_OR_RETURN(MclModels models, TrainedMcl(m, setting, config_.mcl().variant(), true));
  NewEmbedding rho = models.rho;
  auto apply = [&](const torch::Tensor& x) { return rho->forward(x); };
  CountingBackbone new_enc(m->new_model, m->new_norm, config_.protocol().normalize(),
                           EmbedBatch());
  const torch::Tensor q = ApplyTransform(*rho, apply, new_enc.Embed(data_.queries.images));
  const GalleryEmbeddings g{m->new_gallery.ids,
                            ApplyTransform(*rho, apply, m->new_gallery.embeddings)};
  ASSIGN_OR_RETURN(StepResult r, EvaluateSingleSpace(g, q, data_.setup, m->old_old.top1_correct));
  return Constant(r, ProgressPoints(config_.protocol().num_steps()),
                  new_enc.passes() / static_cast<double>(data_.queries.size()));
}

std::string SeedPipeline::PsiKey(const Models& m) const {
  return absl::StrCat(m.key, "|psi ", config_.psi().ShortDebugString());
}

int64_t SeedPipeline::EmbedBatch() const {
  return config_.protocol().embed_batch_size() > 0 ? config_.protocol().embed_batch_size() : 1024;
}

absl::StatusOr<ReverseTransform> SeedPipeline::TrainedPsi(const std::shared_ptr<Models>& m,
                                                          const Setting& setting) {
  const std::string key = PsiKey(*m);
  if (ReverseTransform found{nullptr}; Psis().Find(key, &found)) return found;
  ASSIGN_OR_RETURN(ReverseTransform p,
                   TrainOrLoadPsi(config_.psi(), m->psi_data, config_.protocol().normalize(),
                                  seed_, {run_.cache_dir, absl::StrCat("psi-", setting.name()), key},
                                  run_.config_path));
  Psis().Put(key, p);
  return p;
}

absl::StatusOr<MclModels> SeedPipeline::TrainedMcl(const std::shared_ptr<Models>& m,
                                                   const Setting& setting,
                                                   MclLossVariant variant, bool with_rho) {
  Mcl spec = config_.mcl();
  spec.set_variant(variant);
  const std::string key =
      absl::StrCat(PsiKey(*m), "|mcl ", spec.ShortDebugString(), "|rho ",
                   with_rho ? config_.new_embedding().ShortDebugString() : "-");
  if (MclModels found; Mcls().Find(key, &found)) return found;
  ASSIGN_OR_RETURN(ReverseTransform rt, TrainedPsi(m, setting));
  const std::string name = absl::StrCat("mcl-", setting.name(), "-",
                                        MclVariantName(ToMclVariant(variant)),
                                        with_rho ? "-rho" : "");
  ASSIGN_OR_RETURN(MclModels models,
                   TrainOrLoadMcl(spec, ToMclVariant(variant),
                                  with_rho ? &config_.new_embedding() : nullptr, rt, m->psi_data,
                                  config_.protocol().normalize(), seed_,
                                  {run_.cache_dir, name, key}));
  Mcls().Put(key, models);
  return models;
}

}  // namespace repro::backfill
