// One seed of the backfilling tables: trains or loads every model a setting needs (new model,
// old model, BCT, ψ, MCL ψ/ρ; training.h), embeds the gallery and queries with counted backbone
// passes (encoders.h), and runs the online backfilling protocol (protocol.h) for each method or
// MCL variant. Models, embeddings and curves are memoized for the life of the process under the
// text that determines them, so the three tables of one `reproduce` run share work; each is a
// deterministic function of that text, so a memoized value equals a recomputed one.
#ifndef BACKFILL_PIPELINE_H_
#define BACKFILL_PIPELINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backfill/config.pb.h"
#include "backfill/data.h"
#include "backfill/protocol.h"
#include "backfill/training.h"
#include "backfill/transforms.h"
#include "common/results/registry.h"

namespace repro::backfill {

// A method's metrics at the evaluation points, in percent.
struct Curve {
  std::vector<double> t;
  std::vector<double> map;
  std::vector<double> cmc1;
  std::vector<double> cmc5;
  std::vector<double> nfr;  // negative flips vs old/old
  double passes_per_query = 0;
};

// The curve of results of a protocol run (metrics in %).
Curve ToCurve(const std::vector<StepResult>& steps, double passes_per_query);

// "Offline backfilling", "BCT", "Rank merge (RM)", ...
std::string MethodLabel(Method method);

class SeedPipeline {
 public:
  struct Models;  // what Prepare builds for a setting (pipeline.cc)

  SeedPipeline(const Config& config, const TableRun& run, const BackfillData& data, uint64_t seed);

  // The curve of `method` in `setting`. OFFLINE and NEW_NEW are built from the old/old and
  // new/new evaluations (offline serves old/old until the gallery is complete).
  absl::StatusOr<Curve> MethodCurve(const Setting& setting, Method method);
  // RT + MCL with a given loss variant (the ablation). Without `with_rho` ψ alone is fine-tuned
  // (the main table's RT + MCL row for that variant); with it, ψ and the learnable new embedding ρ
  // are trained jointly under the variant and the backfilled items and the queries' new-space
  // embedding are ρ∘φⁿ (the main table's LEARNABLE_NEW_EMBEDDING row for that variant).
  absl::StatusOr<Curve> VariantCurve(const Setting& setting, MclLossVariant variant,
                                     bool with_rho = false);
  // The fixed systems of the setting: old/old, new/new, and ρ∘φⁿ/ρ∘φⁿ (the learnable new
  // embedding's own upper bound), as one-point curves.
  absl::StatusOr<Curve> OldOld(const Setting& setting);
  absl::StatusOr<Curve> NewNew(const Setting& setting);
  absl::StatusOr<Curve> RhoNewNew(const Setting& setting);

 private:
  absl::StatusOr<std::shared_ptr<Models>> Prepare(const Setting& setting);
  absl::StatusOr<ReverseTransform> TrainedPsi(const std::shared_ptr<Models>& m,
                                              const Setting& setting);
  absl::StatusOr<MclModels> TrainedMcl(const std::shared_ptr<Models>& m, const Setting& setting,
                                       MclLossVariant variant, bool with_rho);
  std::string PsiKey(const Models& m) const;
  int64_t EmbedBatch() const;
  absl::StatusOr<Curve> Online(const std::shared_ptr<Models>& m, const std::string& key,
                               const GalleryEmbeddings& new_gallery,
                               const QueryEmbeddings& queries);

  const Config& config_;
  const TableRun& run_;
  const BackfillData& data_;
  uint64_t seed_;
};

// Per-seed curves of one setting, each vector in the order of the seeds.
struct SettingCurves {
  std::vector<Curve> old_old, new_new, rho_new_new;
  std::map<int, std::vector<Curve>> methods;   // Method -> per seed
  std::map<int, std::vector<Curve>> variants;      // MclLossVariant -> per seed (ψ only)
  std::map<int, std::vector<Curve>> variants_rho;  // MclLossVariant -> per seed (ψ and ρ)
};

// What CollectCurves runs for each seed and setting besides old/old and new/new.
struct CurveRequest {
  bool methods = false;      // every method of the config
  // RT and every MCL ablation variant (ψ only; also with ρ when the config's
  // ablation_with_new_embedding is set).
  bool variants = false;
  bool rho_new_new = false;  // ρ∘φⁿ/ρ∘φⁿ (with methods, when the learnable new embedding is one)
};

// The curves of `request` for every seed, by setting name. The seeds run concurrently, each on
// its own thread with one intra-op thread, `workers` at a time (0: run.threads + 1, as 3 seeds
// then share 2 cores evenly; 1 when a model has dropout, which draws from the default
// generator); every model's initial weights are prebuilt first (training.h). So the curves are
// the same, bit for bit, whatever `workers`, run.threads and the scheduling.
absl::StatusOr<std::map<std::string, SettingCurves>> CollectCurves(
    const Config& config, const TableRun& run, const BackfillData& data,
    const std::vector<uint64_t>& seeds, const CurveRequest& request, int workers = 0);

// Forgets every memoized model and curve (for tests that compare two runs in one process).
void ClearPipelineMemos();

}  // namespace repro::backfill

#endif  // BACKFILL_PIPELINE_H_
